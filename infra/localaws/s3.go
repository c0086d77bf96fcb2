package localaws

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// DirSync mirrors a directory into a bucket of the S3 stand-in, as
// `ahca configs push` publishes configs/ to a stage's bucket: every file
// under Dir becomes the object of the same relative path, except those
// Skip rejects. Only changed files are written, so an unchanged tree
// keeps its ETags and the functions' registries re-fetch nothing.
type DirSync struct {
	Server *Server
	Bucket string
	Dir    string
	// Skip reports whether a relative path (slash-separated) stays out.
	Skip func(rel string, d fs.DirEntry) bool

	mu   sync.Mutex
	sums map[string][16]byte // object key → MD5 of what was put
}

// Sync makes the bucket match the directory. It returns how many objects
// were written and deleted.
func (s *DirSync) Sync() (put, deleted int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sums == nil {
		s.sums = map[string][16]byte{}
	}
	b := s.Server.S3
	if ok, _ := b.BucketExists(s.Bucket); !ok {
		if err := b.CreateBucket(s.Bucket); err != nil {
			return 0, 0, fmt.Errorf("create bucket %s: %w", s.Bucket, err)
		}
	}
	seen := map[string]bool{}
	err = filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.Dir, path)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") || (s.Skip != nil && s.Skip(rel, d)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		seen[rel] = true
		sum := md5.Sum(data)
		if old, ok := s.sums[rel]; ok && old == sum {
			return nil
		}
		if _, err := b.PutObject(s.Bucket, rel, map[string]string{"Content-Type": contentType(rel)}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			return fmt.Errorf("put %s: %w", rel, err)
		}
		s.sums[rel] = sum
		put++
		return nil
	})
	if err != nil {
		return put, 0, fmt.Errorf("sync %s to s3://%s: %w", s.Dir, s.Bucket, err)
	}
	for key := range s.sums {
		if !seen[key] {
			if _, err := b.DeleteObject(s.Bucket, key); err != nil {
				return put, deleted, fmt.Errorf("delete %s: %w", key, err)
			}
			delete(s.sums, key)
			deleted++
		}
	}
	return put, deleted, nil
}

func contentType(name string) string {
	switch filepath.Ext(name) {
	case ".json":
		return "application/json"
	case ".md", ".txt":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
