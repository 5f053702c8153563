package tui

import "testing"

// BenchmarkFrame10000 is BenchmarkFrame1000 with 10,000 projects (1,000
// tracked). Target: under 2 ms.
func BenchmarkFrame10000(b *testing.B) { benchFrame(b, account(10000)) }

// BenchmarkStartToFirstFrame10000 is BenchmarkStartToFirstFrame against an
// agent with 10,000 projects (1,000 tracked) on a Unix socket. Target: under
// 100 ms.
func BenchmarkStartToFirstFrame10000(b *testing.B) { benchFirstFrame(b, account(10000)) }
