package keyring

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Memory is a Store that keeps secrets in process memory only.
type Memory struct {
	mu   sync.Mutex
	data map[string][]byte
}

// NewMemory returns an empty in-memory Store.
func NewMemory() *Memory {
	return &Memory{data: make(map[string][]byte)}
}

// Name returns "memory".
func (m *Memory) Name() string { return "memory" }

// Get returns a copy of the value stored under key.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkCall(ctx, "get", key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.data[key]
	if !ok {
		return nil, fmt.Errorf("keyring: get %q: %w", key, ErrNotFound)
	}
	return slices.Clone(v), nil
}

// Set stores a copy of value under key.
func (m *Memory) Set(ctx context.Context, key string, value []byte) error {
	if err := checkCall(ctx, "set", key); err != nil {
		return err
	}
	if err := checkValue(key, value); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[key] = append([]byte{}, value...)
	return nil
}

// Delete removes key; an absent key is not an error.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := checkCall(ctx, "delete", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, key)
	return nil
}

// List returns the keys held, sorted.
func (m *Memory) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("keyring: list: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, len(m.data))
	for k := range m.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}
