package email

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Outbox is a Sender that writes messages to a directory instead of sending
// them, for `make dev`: each message becomes <time>-<business>-<session>.json
// (the Message) and the same name with .html (its HTML body), where time is
// the UTC send time to the nanosecond ("20261129T024000.123456789Z") and
// <business>-<session> is the idempotency key without its "ahca-" prefix
// (the caller's copy ends in "-caller"). The provider id is that name.
//
// It validates messages as the real providers do, so a message a provider
// would refuse fails here too. It is safe for concurrent use.
type Outbox struct {
	dir string
	now func() time.Time
	mu  sync.Mutex
}

// NewOutbox returns an outbox writing into dir (created on first send).
func NewOutbox(dir string) *Outbox { return &Outbox{dir: dir, now: time.Now} }

// Dir is the outbox directory.
func (o *Outbox) Dir() string { return o.dir }

// OutboxEntry is one message in the outbox.
type OutboxEntry struct {
	Name    string    // file name without extension
	Time    time.Time // when it was sent
	Subject string
	From    string
	To      []string
	Cc      []string
	Session string // X-AHCA-Session
	// Attachments are the attachments' file names, served at
	// <Name>/<file name>.
	Attachments []string
}

const outboxTimeLayout = "20060102T150405.000000000Z"

var outboxName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{8}T[0-9]{6}\.[0-9]{9}Z-[A-Za-z0-9._-]+$`) })

// Send writes m into the outbox.
func (o *Outbox) Send(ctx context.Context, m Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m = sanitizeMessage(m)
	if err := validate(m); err != nil {
		return "", err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return "", fmt.Errorf("email: outbox: %w", err)
	}
	key := token(strings.TrimPrefix(m.IdempotencyKey, "ahca-"))
	if key == "" {
		key = "message"
	}
	base := o.now().UTC().Format(outboxTimeLayout) + "-" + key
	name := base
	for i := 2; ; i++ {
		if _, err := os.Stat(filepath.Join(o.dir, name+".json")); errors.Is(err, fs.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", permanent(fmt.Errorf("email: outbox: %w", err))
	}
	html := m.HTML
	if html == "" {
		html = "<!DOCTYPE html><meta charset=\"utf-8\"><pre>" + htmltemplate.HTMLEscapeString(m.Text) + "</pre>"
	}
	// The HTML first: List shows a message once its JSON exists.
	if err := writeFileAtomic(filepath.Join(o.dir, name+".html"), []byte(html)); err != nil {
		return "", fmt.Errorf("email: outbox: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(o.dir, name+".json"), append(js, '\n')); err != nil {
		return "", fmt.Errorf("email: outbox: %w", err)
	}
	return name, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".outbox-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// List returns the messages in the outbox, newest first. A missing
// directory is an empty outbox.
func (o *Outbox) List() ([]OutboxEntry, error) {
	des, err := os.ReadDir(o.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("email: outbox: %w", err)
	}
	var out []OutboxEntry
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok || !outboxName().MatchString(name) {
			continue
		}
		m, err := o.Message(name)
		if err != nil {
			return nil, err
		}
		t, _ := time.Parse(outboxTimeLayout, name[:len(outboxTimeLayout)])
		e := OutboxEntry{Name: name, Time: t, Subject: m.Subject, From: formatAddress(m.FromName, m.FromEmail), To: m.To, Cc: m.Cc, Session: m.Headers[HeaderSession]}
		for _, a := range m.Attachments {
			e.Attachments = append(e.Attachments, a.Filename)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b OutboxEntry) int { return strings.Compare(b.Name, a.Name) })
	return out, nil
}

// Message reads the message stored under name (as returned by Send).
func (o *Outbox) Message(name string) (Message, error) {
	if !outboxName().MatchString(name) {
		return Message{}, fmt.Errorf("email: outbox: invalid message name %q", name)
	}
	b, err := os.ReadFile(filepath.Join(o.dir, name+".json"))
	if err != nil {
		return Message{}, fmt.Errorf("email: outbox: %w", err)
	}
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return Message{}, fmt.Errorf("email: outbox: %s: %w", name, err)
	}
	return m, nil
}

// OutboxHandler serves the outbox for a /dev/outbox page:
//
//	/                 an index of the messages, newest first
//	/<name>.html      a message's HTML, as the recipient would see it
//	/<name>.txt       its plain text
//	/<name>.json      the whole Message
//
// Mount it with http.StripPrefix, e.g.
// mux.Handle("/dev/outbox/", http.StripPrefix("/dev/outbox", email.OutboxHandler(o))).
// Every value on the index is escaped; message HTML is served with a
// Content-Security-Policy that forbids scripts, plugins, forms and loading
// anything but inline styles and images, so a hostile caller's input cannot
// run in the developer's browser even if it escaped rendering.
//
// texts, when given, lists the text messages the local stack sent (the
// voicemail texts to staff), shown on the index beside the email.
func OutboxHandler(o *Outbox, texts ...func() []Text) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		p := r.URL.Path
		if p == "" {
			// Mounted without the trailing slash: relative links need it.
			http.Redirect(w, r, strings.SplitN(r.RequestURI, "?", 2)[0]+"/", http.StatusFound)
			return
		}
		p = strings.TrimPrefix(p, "/")
		if p == "" || p == "index.html" {
			var sent []Text
			for _, list := range texts {
				sent = append(sent, list()...)
			}
			slices.SortFunc(sent, func(a, b Text) int { return b.Time.Compare(a.Time) })
			serveOutboxIndex(w, o, sent)
			return
		}
		if name, file, ok := strings.Cut(p, "/"); ok {
			serveAttachment(w, r, o, name, file)
			return
		}
		ext := filepath.Ext(p)
		name := strings.TrimSuffix(p, ext)
		if !outboxName().MatchString(name) {
			http.NotFound(w, r)
			return
		}
		switch typ, stored := outboxFiles[ext]; {
		case stored:
			b, err := os.ReadFile(filepath.Join(o.dir, name+ext))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			if ext == ".html" {
				w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; sandbox")
			}
			w.Header().Set("Content-Type", typ)
			w.Write(b)
		case ext == ".txt":
			m, err := o.Message(name)
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte(m.Text))
		default:
			http.NotFound(w, r)
		}
	})
}

// outboxFiles are the files of a message the outbox serves as stored, by
// extension, with their content types.
var outboxFiles = map[string]string{
	".html": "text/html; charset=utf-8",
	".json": "application/json; charset=utf-8",
}

var outboxIndex = htmltemplate.Must(htmltemplate.New("outbox").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>AHCA outbox</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#0f172a}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e2e8f0;vertical-align:top;font-size:14px}
th{background:#f8fafc}
.muted{color:#64748b}
</style>
</head>
<body>
<h1>Outbox</h1>
<p class="muted">Email that would have been sent, newest first ({{len .Entries}}). Directory: {{.Dir}}</p>
{{if .Error}}<p style="color:#b91c1c">{{.Error}}</p>{{end}}
{{if .Entries}}<table>
<tr><th>Sent (UTC)</th><th>Subject</th><th>From</th><th>To</th><th>Session</th><th></th></tr>
{{range .Entries}}<tr>
<td class="muted">{{.Time.Format "2006-01-02 15:04:05"}}</td>
<td><a href="{{.Name}}.html">{{.Subject}}</a></td>
<td>{{.From}}</td>
<td>{{range $i, $a := .To}}{{if $i}}, {{end}}{{$a}}{{end}}{{with .Cc}}<br><span class="muted">cc {{range $i, $a := .}}{{if $i}}, {{end}}{{$a}}{{end}}</span>{{end}}</td>
<td class="muted">{{.Session}}</td>
<td><a href="{{.Name}}.html">HTML</a> · <a href="{{.Name}}.txt">text</a> · <a href="{{.Name}}.json">JSON</a>{{$n := .Name}}{{range .Attachments}} · <a href="{{$n}}/{{.}}" download>{{.}}</a>{{end}}</td>
</tr>
{{end}}</table>
{{else}}<p>No email yet.</p>{{end}}
<h2>Texts</h2>
<p class="muted">Text messages that would have been sent through Twilio (voicemail notices to staff), newest first ({{len .Texts}}).</p>
{{if .Texts}}<table>
<tr><th>Sent (UTC)</th><th>To</th><th>From</th><th>Message</th></tr>
{{range .Texts}}<tr>
<td class="muted">{{.Time.Format "2006-01-02 15:04:05"}}</td>
<td>{{.To}}</td>
<td>{{.From}}</td>
<td>{{.Body}}</td>
</tr>
{{end}}</table>
{{else}}<p>No text yet.</p>{{end}}
</body>
</html>
`))

// serveAttachment serves the attachment named file of message name, as a
// download.
func serveAttachment(w http.ResponseWriter, r *http.Request, o *Outbox, name, file string) {
	if !outboxName().MatchString(name) {
		http.NotFound(w, r)
		return
	}
	m, err := o.Message(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	for _, a := range m.Attachments {
		if a.Filename != file || file == "" {
			continue
		}
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": token(file)}))
		w.Write(a.Data)
		return
	}
	http.NotFound(w, r)
}

// Text is a text message the local stack sent, for the outbox page.
type Text struct {
	Time     time.Time
	To, From string
	Body     string
}

func serveOutboxIndex(w http.ResponseWriter, o *Outbox, texts []Text) {
	entries, err := o.List()
	data := struct {
		Dir     string
		Entries []OutboxEntry
		Texts   []Text
		Error   string
	}{Dir: o.dir, Entries: entries, Texts: texts}
	if err != nil {
		data.Error = err.Error()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if err := outboxIndex.Execute(w, data); err != nil {
		// Headers are gone; nothing more to do than stop.
		return
	}
}
