package business

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"
)

func TestFilesServesOneBusinessFolder(t *testing.T) {
	ctx := context.Background()
	srv := newS3(t, "cfg")
	tree := validTree()
	tree["businesses/acme/knowledge/faq.md"] = []byte("# FAQ\nAcme builds fences.")
	tree["businesses/acme/knowledge/docs/more.json"] = []byte(`{"doc_id":"x"}`)
	tree["businesses/beta/knowledge/secret.md"] = []byte("# Beta only")
	seed(t, srv, "cfg", "", tree)
	fsys, err := Files(ctx, S3Source{Client: srv.client, Bucket: "cfg"}, "acme", "knowledge")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "faq.md", "docs/more.json"); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(fsys, "../beta/knowledge/secret.md"); err == nil {
		t.Error("another business's file was reachable")
	}
	if _, err := Files(ctx, S3Source{Client: srv.client, Bucket: "cfg"}, "../beta", "knowledge"); err == nil {
		t.Error("a malformed business id was accepted")
	}
}
