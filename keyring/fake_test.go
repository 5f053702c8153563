package keyring

import (
	"sync"
	"sync/atomic"

	gokeyring "github.com/zalando/go-keyring"
)

// fakeBackend is an in-memory stand-in for go-keyring that can hang or fail.
type fakeBackend struct {
	mu    sync.Mutex
	items map[string]string
	calls atomic.Int32
	// hang, when not nil, blocks every call until it is closed.
	hang chan struct{}
	// fail, when not nil, is returned by every call.
	fail error
}

func newFakeBackend() *fakeBackend { return &fakeBackend{items: make(map[string]string)} }

func (f *fakeBackend) enter() error {
	f.calls.Add(1)
	f.mu.Lock()
	hang, fail := f.hang, f.fail
	f.mu.Unlock()
	if hang != nil {
		<-hang
	}
	return fail
}

func (f *fakeBackend) get(key string) (string, error) {
	if err := f.enter(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[key]
	if !ok {
		return "", gokeyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeBackend) set(key, value string) error {
	if err := f.enter(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[key] = value
	return nil
}

func (f *fakeBackend) delete(key string) error {
	if err := f.enter(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[key]; !ok {
		return gokeyring.ErrNotFound
	}
	delete(f.items, key)
	return nil
}

func (f *fakeBackend) search() ([]string, error) {
	if err := f.enter(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var keys []string
	for k := range f.items {
		keys = append(keys, k) // System must drop its own ".probe"/".index" items

	}
	return keys, nil
}
