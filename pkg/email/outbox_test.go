package email

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/transcript"
)

func TestOutbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	o := NewOutbox(dir)
	now := time.Date(2026, 11, 29, 2, 40, 0, 123456789, time.UTC)
	o.now = func() time.Time { return now }

	if list, err := o.List(); err != nil || len(list) != 0 {
		t.Fatalf("empty outbox: %v %v", list, err)
	}
	sum := mustRender(t, biz(t, "sherpaprompt"), sherpaPhone(), "")
	cp, _ := RenderCallerCopy(optedIn(biz(t, "sherpaprompt")), sherpaPhone())
	name, err := o.Send(context.Background(), sum)
	if err != nil {
		t.Fatal(err)
	}
	if name != "20261129T024000.123456789Z-sherpaprompt-sess-phone-0002" {
		t.Errorf("name = %q", name)
	}
	// Same instant, other message: distinct files.
	name2, err := o.Send(context.Background(), cp)
	if err != nil || name2 != "20261129T024000.123456789Z-sherpaprompt-sess-phone-0002-caller" {
		t.Errorf("caller copy: %q %v", name2, err)
	}
	name3, _ := o.Send(context.Background(), sum)
	if name3 != name+"-2" {
		t.Errorf("collision: %q", name3)
	}
	now = now.Add(time.Minute)
	hostileMsg := mustRender(t, biz(t, "superior-fencing"), hostile(), "")
	name4, err := o.Send(context.Background(), hostileMsg)
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".json", ".html"} {
		if _, err := os.Stat(filepath.Join(dir, name+ext)); err != nil {
			t.Error(err)
		}
	}
	list, err := o.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 || list[0].Name != name4 || list[0].Subject != hostileMsg.Subject {
		t.Fatalf("list = %+v", list)
	}
	got, err := o.Message(name)
	if err != nil || got.HTML != sum.HTML || got.Subject != sum.Subject || got.Lead == nil {
		t.Errorf("message round trip: %v", err)
	}
	if _, err := o.Message("../../etc/passwd"); err == nil {
		t.Error("path traversal accepted")
	}

	bad := sum
	bad.To = nil
	if _, err := o.Send(context.Background(), bad); !IsPermanent(err) {
		t.Errorf("invalid message: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := o.Send(ctx, sum); err == nil {
		t.Error("canceled context accepted")
	}
}

func TestOutboxConcurrent(t *testing.T) {
	o := NewOutbox(t.TempDir())
	m := mustRender(t, biz(t, "superior-fencing"), fencingWeb(), "")
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := o.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
			if _, err := o.List(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if list, _ := o.List(); len(list) != 20 {
		t.Errorf("%d messages, want 20", len(list))
	}
}

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), string(b)
}

func TestOutboxHandler(t *testing.T) {
	o := NewOutbox(t.TempDir())
	mux := http.NewServeMux()
	mux.Handle("/dev/outbox/", http.StripPrefix("/dev/outbox", OutboxHandler(o)))
	mux.Handle("/dev/outbox", http.StripPrefix("/dev/outbox", OutboxHandler(o)))

	resp, body := get(t, mux, "/dev/outbox/")
	if resp.StatusCode != 200 || !strings.Contains(body, "No email yet") {
		t.Fatalf("empty index: %d %s", resp.StatusCode, body)
	}
	resp, _ = get(t, mux, "/dev/outbox")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/dev/outbox/" {
		t.Errorf("no slash: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	m := mustRender(t, biz(t, "superior-fencing"), hostile(), "<script>alert(9)</script>")
	name, err := o.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	resp, body = get(t, mux, "/dev/outbox/")
	if resp.StatusCode != 200 || !strings.Contains(body, `href="`+name+`.html"`) || !strings.Contains(body, `href="`+name+`.txt"`) {
		t.Fatalf("index: %s", body)
	}
	if strings.Contains(strings.ToLower(body), "<script") || !strings.Contains(body, "&lt;script&gt;") {
		t.Error("the index does not escape the subject")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("index CSP = %q", csp)
	}

	resp, body = get(t, mux, "/dev/outbox/"+name+".html")
	if resp.StatusCode != 200 || body != m.HTML || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("html: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || strings.Contains(csp, "script-src") {
		t.Errorf("message CSP = %q", csp)
	}
	resp, body = get(t, mux, "/dev/outbox/"+name+".txt")
	if resp.StatusCode != 200 || body != m.Text || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("text: %d", resp.StatusCode)
	}
	resp, _ = get(t, mux, "/dev/outbox/"+name+".json")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("json: %d", resp.StatusCode)
	}
	for _, p := range []string{"/dev/outbox/../../etc/passwd", "/dev/outbox/" + name + ".exe", "/dev/outbox/nope.html", "/dev/outbox/20261129T024000.123456789Z-x.html"} {
		if resp, _ := get(t, mux, p); resp.StatusCode == http.StatusOK {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	// Unclean paths straight to the handler (no ServeMux cleaning).
	for _, p := range []string{"/../../etc/passwd", "/../" + name + ".html", "/" + name + "/../x.json"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = p
		rec := httptest.NewRecorder()
		OutboxHandler(o).ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d", p, rec.Code)
		}
	}
	// A booking's calendar file is listed and downloadable.
	booked := sherpaPhone()
	booked.Booking = &transcript.Booking{Start: time.Date(2026, 12, 8, 17, 0, 0, 0, time.UTC), Service: "demo"}
	bm := mustRender(t, biz(t, "sherpaprompt"), booked, "")
	bname, err := o.Send(context.Background(), bm)
	if err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, mux, "/dev/outbox/"); !strings.Contains(body, `href="`+bname+`/appointment.ics"`) {
		t.Errorf("index has no link to the .ics:\n%s", body)
	}
	resp, body = get(t, mux, "/dev/outbox/"+bname+"/appointment.ics")
	if resp.StatusCode != 200 || body != string(bm.Attachments[0].Data) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") ||
		resp.Header.Get("Content-Disposition") != `attachment; filename=appointment.ics` {
		t.Errorf("ics: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	for _, p := range []string{"/dev/outbox/" + bname + "/other.ics", "/dev/outbox/" + name + "/appointment.ics", "/dev/outbox/nope/appointment.ics"} {
		if resp, _ := get(t, mux, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/dev/outbox/", nil)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

// The texts the local stack sent are listed beside the email, newest
// first, escaped like everything on the page.
func TestOutboxHandlerTexts(t *testing.T) {
	o := NewOutbox(t.TempDir())
	t0 := time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC)
	texts := func() []Text {
		return []Text{
			{Time: t0, To: "+15415550191", From: "+15005550006", Body: "Voicemail from Ada: <b>call me</b>"},
			{Time: t0.Add(time.Minute), To: "+15415550192", From: "+15005550006", Body: "Voicemail from Bo"},
		}
	}
	h := http.StripPrefix("/dev/outbox", OutboxHandler(o, texts))
	_, body := get(t, h, "/dev/outbox/")
	first, second := strings.Index(body, "Voicemail from Bo"), strings.Index(body, "Voicemail from Ada")
	if first < 0 || second < first {
		t.Errorf("texts not listed newest first:\n%s", body)
	}
	if strings.Contains(body, "<b>call me</b>") || !strings.Contains(body, "&lt;b&gt;call me&lt;/b&gt;") {
		t.Error("a text's body is not escaped")
	}
	if _, body := get(t, http.StripPrefix("/dev/outbox", OutboxHandler(o)), "/dev/outbox/"); !strings.Contains(body, "No text yet") {
		t.Error("without texts the page does not say so")
	}
}
