package business

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNotModified is returned by Source.Get when the object's ETag equals the
// one the caller already has.
var ErrNotModified = errors.New("not modified")

// Object is one file of a configs tree as a Source lists it.
type Object struct {
	Key  string // slash-separated, relative to the tree's root
	ETag string // quoted hex MD5 of the content, as S3 reports it for SSE-S3 objects
}

// Source is where a configs tree lives: a directory locally, an S3 prefix in
// AWS. Both speak ETags so the registry can skip unchanged files.
type Source interface {
	// List returns every file of the tree, sorted by key.
	List(ctx context.Context) ([]Object, error)
	// Get returns a file's content and ETag; when ifNoneMatch equals the
	// current ETag it returns ErrNotModified and no content.
	Get(ctx context.Context, key, ifNoneMatch string) ([]byte, string, error)
	// Origin names the tree in messages (a path or s3:// URL).
	Origin() string
}

// IsConfigKey reports whether key is part of the configuration layout that
// Build reads (businesses.json, prompt_rules.json and businesses/<id>/*.json).
func IsConfigKey(key string) bool {
	if key == IndexFile || key == PromptsFile {
		return true
	}
	parts := strings.Split(key, "/")
	return len(parts) == 3 && parts[0] == businessDir && (parts[2] == ConfigFile || parts[2] == PromptsFile)
}

// IsPublishedKey reports whether configs push uploads key: the config layout
// and everything else inside a business's directory (knowledge, indexes).
func IsPublishedKey(key string) bool {
	return IsConfigKey(key) || strings.HasPrefix(key, businessDir+"/") && strings.Count(key, "/") >= 2
}

// ETagOf returns the ETag S3 assigns to content uploaded in one part
// without KMS encryption: the quoted hex MD5.
func ETagOf(content []byte) string {
	sum := md5.Sum(content)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// DirSource is a configs tree on disk.
type DirSource struct{ Dir string }

// Origin returns the directory.
func (d DirSource) Origin() string { return d.Dir }

// List walks the directory. It reads each file to compute its ETag: config
// trees are small, and a content hash (unlike a modification time) means the
// same thing here as in S3, which configs push relies on.
func (d DirSource) List(_ context.Context) ([]Object, error) {
	var out []Object
	err := filepath.WalkDir(d.Dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if strings.HasPrefix(e.Name(), ".") && p != d.Dir {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(d.Dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, Object{Key: filepath.ToSlash(rel), ETag: ETagOf(b)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list configs in %s: %w", d.Dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// ListPrefix lists the files whose key starts with prefix; a prefix ending
// in "/" (a business's directory) walks only that directory.
func (d DirSource) ListPrefix(ctx context.Context, prefix string) ([]Object, error) {
	if !strings.HasSuffix(prefix, "/") || !fs.ValidPath(strings.TrimSuffix(prefix, "/")) {
		return listFiltered(ctx, d, prefix)
	}
	sub := filepath.Join(d.Dir, filepath.FromSlash(prefix))
	if _, err := os.Stat(sub); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	objs, err := DirSource{Dir: sub}.List(ctx)
	if err != nil {
		return nil, err
	}
	for i := range objs {
		objs[i].Key = prefix + objs[i].Key
	}
	return objs, nil
}

// Get reads one file.
func (d DirSource) Get(_ context.Context, key, ifNoneMatch string) ([]byte, string, error) {
	if !fs.ValidPath(key) {
		return nil, "", fmt.Errorf("read config %q: invalid path", key)
	}
	b, err := os.ReadFile(filepath.Join(d.Dir, filepath.FromSlash(key)))
	if err != nil {
		return nil, "", fmt.Errorf("read config: %w", err)
	}
	etag := ETagOf(b)
	if ifNoneMatch != "" && ifNoneMatch == etag {
		return nil, etag, ErrNotModified
	}
	return b, etag, nil
}

// Load reads and validates a whole configs tree from src.
func Load(ctx context.Context, src Source) (*Set, error) {
	files, _, err := fetchAll(ctx, src, nil)
	if err != nil {
		return nil, err
	}
	return Build(src.Origin(), contents(files))
}

// version is a file as last fetched.
type version struct {
	etag string
	body []byte
}

// fetchAll lists src and returns every config file, reusing the cached
// versions whose ETag has not changed. changed reports whether anything
// differs from cached (a file added, removed or modified).
func fetchAll(ctx context.Context, src Source, cached map[string]version) (files map[string]version, changed bool, err error) {
	objs, err := src.List(ctx)
	if err != nil {
		return nil, false, err
	}
	files = map[string]version{}
	for _, o := range objs {
		if !IsConfigKey(o.Key) {
			continue
		}
		old, had := cached[o.Key]
		if had && o.ETag != "" && old.etag == o.ETag {
			files[o.Key] = old
			continue
		}
		body, etag, err := src.Get(ctx, o.Key, old.etag)
		switch {
		case errors.Is(err, ErrNotModified) && had:
			files[o.Key] = old
			continue
		case err != nil:
			return nil, false, fmt.Errorf("fetch %s/%s: %w", src.Origin(), o.Key, err)
		}
		files[o.Key] = version{etag: etag, body: body}
		changed = true
	}
	if len(files) != len(cached) {
		changed = true
	}
	return files, changed, nil
}

func contents(files map[string]version) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for k, v := range files {
		out[k] = v.body
	}
	return out
}
