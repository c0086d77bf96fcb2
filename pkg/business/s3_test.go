package business

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// s3Server is an in-process S3 (gofakes3) that counts the requests the real
// SDK client makes, by method and whether a body was transferred.
type s3Server struct {
	client *s3.Client
	mu     sync.Mutex
	calls  map[string]int // "GET object 200", "GET object 304", "LIST", "PUT", "DELETE"
}

func newS3(t *testing.T, bucket string) *s3Server {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(backend).Server()
	srv := &s3Server{calls: map[string]int{}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		fake.ServeHTTP(rec, r)
		srv.mu.Lock()
		defer srv.mu.Unlock()
		switch {
		case r.Method == http.MethodGet && r.URL.Query().Has("list-type"):
			srv.calls["LIST"]++
		case r.Method == http.MethodGet:
			srv.calls["GET "+http.StatusText(rec.status)]++
		default:
			srv.calls[r.Method]++
		}
	}))
	t.Cleanup(ts.Close)
	srv.client = s3.New(s3.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(ts.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	return srv
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *s3Server) take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = map[string]int{}
	return c
}

func (s *s3Server) put(t *testing.T, bucket, key string, body []byte) {
	t.Helper()
	if _, err := s.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func (s *s3Server) keys(t *testing.T, bucket string) []string {
	t.Helper()
	out, err := s.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	sort.Strings(keys)
	return keys
}

func seed(t *testing.T, srv *s3Server, bucket, prefix string, tree map[string][]byte) {
	for k, v := range tree {
		srv.put(t, bucket, prefix+k, v)
	}
	srv.take()
}

func TestS3SourceLoadsTree(t *testing.T) {
	srv := newS3(t, "cfg")
	seed(t, srv, "cfg", "stage/", validTree())
	s, err := Load(context.Background(), S3Source{Client: srv.client, Bucket: "cfg", Prefix: "stage"})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := s.ByNumber("+15035550200"); err != nil || b.ID != "beta" {
		t.Fatalf("ByNumber = %v, %v", b, err)
	}
}

func TestS3ConditionalGet(t *testing.T) {
	srv := newS3(t, "cfg")
	srv.put(t, "cfg", "businesses.json", []byte(`{}`))
	src := S3Source{Client: srv.client, Bucket: "cfg"}
	body, etag, err := src.Get(context.Background(), "businesses.json", "")
	if err != nil || string(body) != "{}" || etag != ETagOf([]byte("{}")) {
		t.Fatalf("Get = %q, %q, %v; want body and MD5 ETag", body, etag, err)
	}
	if _, _, err := src.Get(context.Background(), "businesses.json", etag); !errors.Is(err, ErrNotModified) {
		t.Fatalf("conditional Get with the current ETag: err = %v, want ErrNotModified", err)
	}
}

// A warm registry re-fetches only what changed, takes a push without a
// redeploy, and keeps serving the last good set when a bad one appears.
func TestRegistryRefreshWithETags(t *testing.T) {
	ctx := context.Background()
	srv := newS3(t, "cfg")
	seed(t, srv, "cfg", "", validTree())
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	reg := NewRegistry(S3Source{Client: srv.client, Bucket: "cfg"}, RegistryOptions{
		Refresh: time.Minute, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if calls := srv.take(); len(calls) != 0 {
		t.Fatalf("NewRegistry made calls %v; it must not touch the network at init", calls)
	}

	b, err := reg.Business(ctx, "acme")
	if err != nil || b.Name != "Acme Fencing" {
		t.Fatalf("first load: %v, %v", b, err)
	}
	// Only what acme needs: the index, the fallback prompt, acme's
	// directory listing and its two files (not beta's).
	if got := srv.take(); got["LIST"] != 1 || got["GET OK"] != 4 || len(got) != 2 {
		t.Fatalf("first load calls = %v, want 1 LIST and 4 GETs", got)
	}

	// Within the refresh interval: no calls at all.
	if _, err := reg.Business(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if got := srv.take(); len(got) != 0 {
		t.Fatalf("calls within refresh interval = %v, want none", got)
	}

	// Past it, nothing changed: the shared files answer 304 and acme's
	// directory is listed; no object is transferred.
	now = now.Add(2 * time.Minute)
	if _, err := reg.Business(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if got := srv.take(); got["LIST"] != 1 || got["GET Not Modified"] != 2 || len(got) != 2 {
		t.Fatalf("unchanged refresh calls = %v, want 1 LIST and 2 conditional GETs (304)", got)
	}

	// An operator changes one file: only it is fetched, and it takes effect.
	tree := validTree()
	set(t, tree, acme, "businessName", "Acme Fence Co")
	srv.put(t, "cfg", acme, tree[acme])
	srv.take()
	now = now.Add(2 * time.Minute)
	if b, _ := reg.Business(ctx, "acme"); b.Name != "Acme Fence Co" {
		t.Fatalf("after push name = %q", b.Name)
	}
	if got := srv.take(); got["LIST"] != 1 || got["GET OK"] != 1 || got["GET Not Modified"] != 2 || len(got) != 3 {
		t.Fatalf("changed refresh calls = %v, want 1 LIST, 2 conditional GETs (304) and 1 GET", got)
	}

	// Someone uploads a broken file by hand: the last good set is served.
	srv.put(t, "cfg", acme, []byte(`{"businessId": `))
	now = now.Add(2 * time.Minute)
	b, err = reg.Business(ctx, "acme")
	if err != nil || b.Name != "Acme Fence Co" {
		t.Fatalf("after a bad upload: %v, %v; want the last good config", b, err)
	}
	if !strings.Contains(logs.String(), "invalid JSON") {
		t.Errorf("the bad refresh was not logged: %s", logs.String())
	}

	// A removed business disappears at the next refresh of a valid tree.
	srv.put(t, "cfg", acme, validTree()[acme])
	srv.put(t, "cfg", "businesses.json", []byte(`{"phoneToBusinessMap": {"+15035550100": "acme"}}`))
	if _, err := srv.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("cfg"), Key: aws.String("businesses/beta/config.json")}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := reg.Business(ctx, "beta"); !errors.Is(err, ErrUnknownBusiness) {
		t.Errorf("removed business: err = %v, want ErrUnknownBusiness", err)
	}
}

func TestRegistryFirstLoadFailureIsAnError(t *testing.T) {
	srv := newS3(t, "cfg")
	tree := validTree()
	tree[acme] = []byte(`not json`)
	seed(t, srv, "cfg", "", tree)
	reg := NewRegistry(S3Source{Client: srv.client, Bucket: "cfg"}, RegistryOptions{})
	_, err := reg.Business(context.Background(), "acme")
	var ps Problems
	if !errors.As(err, &ps) || !strings.Contains(err.Error(), "s3://cfg/businesses/acme/config.json:1:") {
		t.Fatalf("err = %v, want problems naming the S3 object", err)
	}
}

func TestRegistryConcurrentUse(t *testing.T) {
	reg := NewRegistry(memSource(validTree()), RegistryOptions{Refresh: time.Nanosecond})
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if b, err := reg.ByNumber(context.Background(), "+15035550100"); err != nil || b.ID != "acme" {
					t.Errorf("ByNumber = %v, %v", b, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// memSource is a Source over a map, for tests that are not about S3.
type memSource map[string][]byte

func (m memSource) Origin() string { return "mem" }
func (m memSource) List(context.Context) ([]Object, error) {
	var out []Object
	for k, v := range m {
		out = append(out, Object{Key: k, ETag: ETagOf(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
func (m memSource) Get(_ context.Context, key, ifNoneMatch string) ([]byte, string, error) {
	v, ok := m[key]
	if !ok {
		return nil, "", fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	if ETagOf(v) == ifNoneMatch {
		return nil, ifNoneMatch, ErrNotModified
	}
	return v, ETagOf(v), nil
}

func TestPush(t *testing.T) {
	ctx := context.Background()
	srv := newS3(t, "cfg")
	dir := t.TempDir()
	writeTree(t, dir, validTree())
	writeTree(t, dir, map[string][]byte{"schema/config.schema.json": []byte(`{}`), "businesses/acme/knowledge/faq.md": []byte("# FAQ")})
	dst := S3Source{Client: srv.client, Bucket: "cfg", Prefix: "dev"}

	// Dry run changes nothing.
	plan, err := Push(ctx, DirSource{Dir: dir}, dst, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Upload) != len(validTree())+1 || srv.take()["PUT"] != 0 {
		t.Fatalf("dry run plan = %+v", plan)
	}
	if plan.Upload[len(plan.Upload)-1] != IndexFile {
		t.Errorf("businesses.json must be uploaded last: %v", plan.Upload)
	}

	// First push uploads the tree (not schema/), in order.
	if _, err := Push(ctx, DirSource{Dir: dir}, dst, false); err != nil {
		t.Fatal(err)
	}
	got := srv.keys(t, "cfg")
	if len(got) != len(validTree())+1 || strings.Contains(strings.Join(got, " "), "schema") {
		t.Fatalf("bucket after push = %v", got)
	}
	srv.take()

	// Second push: nothing changed, nothing uploaded.
	plan, err = Push(ctx, DirSource{Dir: dir}, dst, false)
	if err != nil || len(plan.Upload) != 0 || plan.Unchanged != len(validTree())+1 {
		t.Fatalf("unchanged push = %+v, %v", plan, err)
	}
	if calls := srv.take(); calls["PUT"] != 0 {
		t.Fatalf("unchanged push made PUTs: %v", calls)
	}

	// One file changed, one removed: one upload, one delete.
	tree := validTree()
	set(t, tree, acme, "businessName", "Acme Two")
	writeTree(t, dir, map[string][]byte{acme: tree[acme]})
	if err := removeFile(dir, "businesses/acme/knowledge/faq.md"); err != nil {
		t.Fatal(err)
	}
	plan, err = Push(ctx, DirSource{Dir: dir}, dst, false)
	if err != nil || len(plan.Upload) != 1 || plan.Upload[0] != acme || len(plan.Delete) != 1 {
		t.Fatalf("changed push = %+v, %v", plan, err)
	}
	s, err := Load(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Business("acme"); b.Name != "Acme Two" {
		t.Errorf("bucket has name %q after push", b.Name)
	}

	// An invalid tree is refused and nothing is published.
	writeTree(t, dir, map[string][]byte{acme: []byte(`{"businessId": "acme"}`)})
	srv.take()
	_, err = Push(ctx, DirSource{Dir: dir}, dst, false)
	if err == nil || !strings.Contains(err.Error(), "refusing to push") || !strings.Contains(err.Error(), "$.businessName: missing") {
		t.Fatalf("invalid push err = %v", err)
	}
	if calls := srv.take(); calls["PUT"] != 0 || calls["DELETE"] != 0 {
		t.Fatalf("invalid push wrote to the bucket: %v", calls)
	}
	if _, err := Load(ctx, dst); err != nil {
		t.Errorf("bucket no longer valid after a refused push: %v", err)
	}
}

func TestDirSourceGet(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"businesses.json": []byte("{}")})
	src := DirSource{Dir: dir}
	if _, _, err := src.Get(context.Background(), "../etc/passwd", ""); err == nil {
		t.Error("Get outside the tree succeeded")
	}
	_, etag, err := src.Get(context.Background(), "businesses.json", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.Get(context.Background(), "businesses.json", etag); !errors.Is(err, ErrNotModified) {
		t.Errorf("conditional Get: %v", err)
	}
	_ = io.Discard
}
