// Package syncbuf is a bytes.Buffer safe for concurrent use, for tests that
// read a log or a command's output while something may still write it.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is safe to write and read from several goroutines; the zero value
// is empty and ready.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what has been written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
