package business

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// tenants builds a tree of n synthetic businesses (each with its own
// prompt and a knowledge file) and the index routing one number to each.
func tenants(n int) map[string][]byte {
	tree := map[string][]byte{PromptsFile: []byte(`{"realtimeSystem": {"full": "You are a receptionist."}}`)}
	var idx strings.Builder
	idx.WriteString(`{"phoneToBusinessMap": {`)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("tenant-%04d", i)
		number := fmt.Sprintf("+1503555%04d", i)
		if i > 0 {
			idx.WriteString(",")
		}
		fmt.Fprintf(&idx, "%q: %q", number, id)
		tree["businesses/"+id+"/config.json"] = fmt.Appendf(nil, `{"businessId": %q, "businessName": "Tenant %d", "phone": %q, "timezone": "America/Los_Angeles",
  "email": {"provider": "ses", "fromEmail": "leads@%s.example", "notificationRecipients": ["owner@%s.example"]}}`, id, i, number, id, id)
		if i%2 == 0 {
			tree["businesses/"+id+"/prompt_rules.json"] = fmt.Appendf(nil, `{"realtimeSystem": {"full": "You answer for tenant %d."}}`, i)
		}
		tree["businesses/"+id+"/knowledge/faq.md"] = []byte("# FAQ\n\nOpen daily.\n")
	}
	idx.WriteString("}}")
	tree[IndexFile] = []byte(idx.String())
	return tree
}

// A function's cold start serving one business makes a constant number of
// S3 requests, not one per tenant: measured over 1,000 businesses in the
// S3 stand-in with the real SDK client.
func TestRegistryColdStartIsConstantInTenants(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 3,000 objects")
	}
	ctx := context.Background()
	srv := newS3(t, "cfg")
	tree := tenants(1000)
	seed(t, srv, "cfg", "stage/", tree)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	src := S3Source{Client: srv.client, Bucket: "cfg", Prefix: "stage"}
	reg := NewRegistry(src, RegistryOptions{Now: func() time.Time { return now }})

	total := func(c map[string]int) (n int) {
		for _, v := range c {
			n += v
		}
		return n
	}

	// A call to tenant 737's number: index, fallback prompt, one listing of
	// its directory, its config (it has no own prompt: 737 is odd).
	b, err := reg.ByNumber(ctx, "+1 (503) 555-0737")
	if err != nil || b.ID != "tenant-0737" || !strings.Contains(b.Prompts.System, "You are a receptionist.") {
		t.Fatalf("ByNumber = %v, %v", b, err)
	}
	cold := srv.take()
	t.Logf("cold start, one business of 1,000: %d S3 requests %v", total(cold), cold)
	if total(cold) != 4 || cold["LIST"] != 1 || cold["GET OK"] != 3 {
		t.Fatalf("cold start calls = %v, want 1 LIST and 3 GETs", cold)
	}
	if len(b.Numbers) != 1 || b.Numbers[0] != "+15035550737" {
		t.Errorf("Numbers = %v, want the index's number", b.Numbers)
	}

	// Another business (with its own prompt): its directory and two files.
	b, err = reg.Business(ctx, "tenant-0042")
	if err != nil || b.Prompts.System != "You answer for tenant 42." {
		t.Fatalf("Business = %v, %v", b, err)
	}
	if got := srv.take(); total(got) != 3 || got["LIST"] != 1 || got["GET OK"] != 2 {
		t.Fatalf("second business calls = %v, want 1 LIST and 2 GETs", got)
	}

	// Warm: nothing.
	for i := 0; i < 10; i++ {
		if _, err := reg.ByNumber(ctx, "+15035550737"); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.take(); len(got) != 0 {
		t.Fatalf("warm calls = %v, want none", got)
	}

	// Unknown ids and numbers are answered without loading anything else.
	if _, err := reg.Business(ctx, "no-such-tenant"); !errors.Is(err, ErrUnknownBusiness) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := reg.ByNumber(ctx, "+15005550006"); !errors.Is(err, ErrUnknownBusiness) {
		t.Errorf("unknown number: %v", err)
	}
	if got := srv.take(); total(got) != 1 || got["LIST"] != 1 {
		t.Fatalf("unknown id and number calls = %v, want the unknown id's one LIST", got)
	}

	// After the refresh interval, unchanged: two 304s and one listing per
	// business in use; then a push to tenant 737 is picked up.
	now = now.Add(2 * time.Minute)
	if _, err := reg.ByNumber(ctx, "+15035550737"); err != nil {
		t.Fatal(err)
	}
	if got := srv.take(); total(got) != 3 || got["GET Not Modified"] != 2 || got["LIST"] != 1 {
		t.Fatalf("refresh calls = %v, want 2 conditional GETs (304) and 1 LIST", got)
	}
	set(t, tree, "businesses/tenant-0737/config.json", "businessName", "Tenant Renamed")
	srv.put(t, "cfg", "stage/businesses/tenant-0737/config.json", tree["businesses/tenant-0737/config.json"])
	srv.take()
	now = now.Add(2 * time.Minute)
	if b, _ := reg.ByNumber(ctx, "+15035550737"); b.Name != "Tenant Renamed" {
		t.Errorf("after a push: name %q", b.Name)
	}

	// The whole tree (configs validate/push, the local stack) still loads,
	// at a cost that grows with the tree.
	full := NewRegistry(src, RegistryOptions{})
	set, err := full.Current(ctx)
	if err != nil || len(set.IDs()) != 1000 {
		t.Fatalf("Current: %v businesses, %v", len(set.IDs()), err)
	}
	t.Logf("whole tree for comparison: %d S3 requests", total(srv.take()))
}

// Knowledge is listed from the business's own directory only.
func TestFilesListsOneBusiness(t *testing.T) {
	srv := newS3(t, "cfg")
	seed(t, srv, "cfg", "", tenants(50))
	fsys, err := Files(context.Background(), S3Source{Client: srv.client, Bucket: "cfg"}, "tenant-0007", "knowledge")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Open("faq.md"); err != nil {
		t.Fatal(err)
	}
	if got := srv.take(); got["LIST"] != 1 || got["GET OK"] != 1 {
		t.Fatalf("Files calls = %v, want 1 LIST and 1 GET", got)
	}
}

// The same per-business loading over a directory.
func TestRegistryDirSourceLoadsOneBusiness(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, tenants(20))
	reg := NewRegistry(DirSource{Dir: dir}, RegistryOptions{})
	b, err := reg.ByNumber(context.Background(), "+15035550012")
	if err != nil || b.ID != "tenant-0012" {
		t.Fatalf("ByNumber = %v, %v", b, err)
	}
	if _, err := reg.Business(context.Background(), "tenant-0099"); !errors.Is(err, ErrUnknownBusiness) {
		t.Errorf("missing directory: %v", err)
	}
}
