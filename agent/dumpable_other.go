//go:build !linux

package agent

// protectMemory does nothing where there is no PR_SET_DUMPABLE; the core
// dump limit set by Serve still keeps tokens out of core files.
func protectMemory() error { return nil }
