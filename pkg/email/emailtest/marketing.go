package emailtest

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MarketingMember is an audience member of the fake.
type MarketingMember struct {
	Email  string
	Status string // subscribed | unsubscribed | cleaned | pending | transactional
	Tags   []string
}

// MarketingCampaign is a campaign of the fake.
type MarketingCampaign struct {
	ID, Type, Status   string // status: save | sent
	ListID             string
	SegmentID          int
	Title, Subject     string
	FromName, ReplyTo  string
	AutoFooter         bool
	HTML, PlainText    string
	CreateTime         time.Time
	ContentSet         bool
	RecipientsSnapshot []string // who it was sent to
}

// MarketingDelivery is one campaign send: what each recipient received.
type MarketingDelivery struct {
	CampaignID        string
	To                []string // subscribed members of the segment, sorted
	Subject           string
	FromName, ReplyTo string
	HTML, Text        string
}

type mcSegment struct {
	id      int
	name    string
	members map[string]bool // subscriber hashes
}

type mcList struct {
	members  map[string]*MarketingMember // by subscriber hash
	segments []*mcSegment
}

type scripted struct {
	method, contains string
	status           int
	title, detail    string
}

// MailchimpMarketing is a fake of the Mailchimp Marketing API (v3.0) serving,
// under /3.0, the calls package email makes:
//
//	PUT   /lists/{list}/members/{hash}         add or update a member
//	PATCH /lists/{list}/members/{hash}         update a member
//	POST  /lists/{list}/members/{hash}/tags    add or remove tags (204)
//	GET   /lists/{list}/segments               list segments (?type=static)
//	POST  /lists/{list}/segments               create a static segment (tag)
//	PATCH /lists/{list}/segments/{id}          update it (static_segment replaces members)
//	GET   /campaigns                           list (?list_id, ?since_create_time)
//	POST  /campaigns                           create (status "save")
//	PUT   /campaigns/{id}/content              set html and plain_text
//	POST  /campaigns/{id}/actions/send         send (204), recorded as a delivery
//
// It enforces what the real API does and the code relies on: HTTP Basic
// auth with the API key as password (401 otherwise), known audiences (404),
// the subscriber hash being the MD5 of the lower-cased address (400),
// status_if_new for new members from the documented set (400), segments and
// campaigns that exist (404), a campaign ready to send — subject, from name,
// reply-to, content, at least one subscribed recipient — and not already
// sent (400). A campaign reaches only the segment's subscribed members.
// Errors are application/problem+json {type,title,status,detail,instance}.
type MailchimpMarketing struct {
	key string

	mu         sync.Mutex
	lists      map[string]*mcList
	campaigns  []*MarketingCampaign
	deliveries []MarketingDelivery
	requests   []string
	script     []scripted
	nextSeg    int
	nextCamp   int
	now        func() time.Time
}

// NewMailchimpMarketing returns a fake accepting the API key key.
func NewMailchimpMarketing(key string) *MailchimpMarketing {
	return &MailchimpMarketing{key: key, lists: map[string]*mcList{}, nextSeg: 100, nextCamp: 1, now: time.Now}
}

// AddAudience creates an empty audience.
func (f *MailchimpMarketing) AddAudience(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists[id] = &mcList{members: map[string]*MarketingMember{}}
}

// SetMember adds or replaces a member, e.g. to start from an unsubscribed
// one.
func (f *MailchimpMarketing) SetMember(list, email, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.lists[list]
	l.members[hash(email)] = &MarketingMember{Email: strings.ToLower(email), Status: status}
}

// Member returns the member with address email.
func (f *MailchimpMarketing) Member(list, email string) (MarketingMember, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.lists[list]
	if !ok {
		return MarketingMember{}, false
	}
	m, ok := l.members[hash(email)]
	if !ok {
		return MarketingMember{}, false
	}
	c := *m
	c.Tags = slices.Clone(m.Tags)
	return c, true
}

// TagMembers returns the addresses in the static segment named tag, sorted.
func (f *MailchimpMarketing) TagMembers(list, tag string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.lists[list].segments {
		if s.name == tag {
			for h := range s.members {
				out = append(out, f.lists[list].members[h].Email)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Campaigns returns copies of every campaign, oldest first.
func (f *MailchimpMarketing) Campaigns() []MarketingCampaign {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]MarketingCampaign, len(f.campaigns))
	for i, c := range f.campaigns {
		out[i] = *c
	}
	return out
}

// Deliveries returns the campaign sends, oldest first.
func (f *MailchimpMarketing) Deliveries() []MarketingDelivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.deliveries)
}

// Requests returns "METHOD /path" for every request received.
func (f *MailchimpMarketing) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// FailNext makes the next request whose method is method and whose path
// contains contains answer status with a problem document.
func (f *MailchimpMarketing) FailNext(method, contains string, status int, title, detail string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, scripted{method, contains, status, title, detail})
}

func hash(email string) string {
	h := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(h[:])
}

// notFound is Mailchimp's 404 for an unknown resource.
func notFound(w http.ResponseWriter) {
	problem(w, http.StatusNotFound, "Resource Not Found", "The requested resource could not be found.")
}

func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"type":     "https://mailchimp.com/developer/marketing/docs/errors/",
		"title":    title,
		"status":   status,
		"detail":   detail,
		"instance": "00000000-0000-0000-0000-000000000000",
	})
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

var memberStatuses = []string{"subscribed", "unsubscribed", "cleaned", "pending", "transactional"}

func (f *MailchimpMarketing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	for i, s := range f.script {
		if s.method == r.Method && strings.Contains(r.URL.Path, s.contains) {
			f.script = slices.Delete(f.script, i, i+1)
			problem(w, s.status, s.title, s.detail)
			return
		}
	}
	if _, pw, ok := r.BasicAuth(); !ok || pw != f.key {
		problem(w, http.StatusUnauthorized, "API Key Invalid", "Your API key may be invalid, or you've attempted to access the wrong datacenter.")
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/3.0/")
	if !ok {
		notFound(w)
		return
	}
	var body map[string]any
	if r.Body != nil && (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 32<<20))
		if len(b) > 0 {
			if err := json.Unmarshal(b, &body); err != nil {
				problem(w, http.StatusBadRequest, "JSON Parse Exception", "We encountered an unspecified JSON parsing error.")
				return
			}
		}
	}
	seg := strings.Split(path, "/")
	switch {
	case len(seg) >= 2 && seg[0] == "lists":
		l, ok := f.lists[seg[1]]
		if !ok {
			notFound(w)
			return
		}
		f.serveList(w, r, l, seg[2:], body)
	case len(seg) >= 1 && seg[0] == "campaigns":
		f.serveCampaigns(w, r, seg[1:], body)
	default:
		notFound(w)
	}
}

func str(body map[string]any, k string) string {
	s, _ := body[k].(string)
	return s
}

func memberJSON(m *MarketingMember, list string) map[string]any {
	tags := []map[string]any{}
	for i, t := range m.Tags {
		tags = append(tags, map[string]any{"id": i + 1, "name": t})
	}
	return map[string]any{"id": hash(m.Email), "email_address": m.Email, "status": m.Status, "list_id": list, "tags": tags}
}

func (f *MailchimpMarketing) serveList(w http.ResponseWriter, r *http.Request, l *mcList, rest []string, body map[string]any) {
	listID := strings.Split(strings.TrimPrefix(r.URL.Path, "/3.0/lists/"), "/")[0]
	switch {
	case len(rest) == 2 && rest[0] == "members" && r.Method == http.MethodPut:
		email := str(body, "email_address")
		if email == "" || strings.Count(email, "@") != 1 {
			problem(w, http.StatusBadRequest, "Invalid Resource", "The resource submitted could not be validated.")
			return
		}
		if hash(email) != rest[1] {
			problem(w, http.StatusBadRequest, "Invalid Resource", "The subscriber hash does not match the email address.")
			return
		}
		m, exists := l.members[rest[1]]
		if st := str(body, "status"); st != "" && !slices.Contains(memberStatuses, st) {
			problem(w, http.StatusBadRequest, "Invalid Resource", "Invalid status: "+st)
			return
		}
		if !exists {
			st := str(body, "status_if_new")
			if st == "" {
				st = str(body, "status")
			}
			if !slices.Contains(memberStatuses, st) {
				problem(w, http.StatusBadRequest, "Invalid Resource", "The resource submitted could not be validated. For field-specific details, see the 'errors' array. (status_if_new)")
				return
			}
			m = &MarketingMember{Email: strings.ToLower(email), Status: st}
			l.members[rest[1]] = m
		} else if st := str(body, "status"); st != "" {
			m.Status = st
		}
		reply(w, memberJSON(m, listID))
	case len(rest) == 2 && rest[0] == "members" && r.Method == http.MethodPatch:
		m, ok := l.members[rest[1]]
		if !ok {
			notFound(w)
			return
		}
		if st := str(body, "status"); st != "" {
			if !slices.Contains(memberStatuses, st) {
				problem(w, http.StatusBadRequest, "Invalid Resource", "Invalid status: "+st)
				return
			}
			m.Status = st
		}
		reply(w, memberJSON(m, listID))
	case len(rest) == 3 && rest[0] == "members" && rest[2] == "tags" && r.Method == http.MethodPost:
		m, ok := l.members[rest[1]]
		if !ok {
			notFound(w)
			return
		}
		tags, _ := body["tags"].([]any)
		if len(tags) == 0 {
			problem(w, http.StatusBadRequest, "Invalid Resource", "tags: Required property missing.")
			return
		}
		for _, t := range tags {
			tm, _ := t.(map[string]any)
			name := str(tm, "name")
			switch str(tm, "status") {
			case "active":
				if !slices.Contains(m.Tags, name) {
					m.Tags = append(m.Tags, name)
				}
			case "inactive":
				m.Tags = slices.DeleteFunc(m.Tags, func(s string) bool { return s == name })
			default:
				problem(w, http.StatusBadRequest, "Invalid Resource", "tags.status must be active or inactive.")
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	case len(rest) == 1 && rest[0] == "segments" && r.Method == http.MethodGet:
		out := []map[string]any{}
		for _, s := range l.segments {
			if t := r.URL.Query().Get("type"); t != "" && t != "static" {
				continue
			}
			out = append(out, map[string]any{"id": s.id, "name": s.name, "member_count": len(s.members), "type": "static"})
		}
		reply(w, map[string]any{"segments": out, "total_items": len(out)})
	case len(rest) == 1 && rest[0] == "segments" && r.Method == http.MethodPost:
		name := str(body, "name")
		if name == "" {
			problem(w, http.StatusBadRequest, "Invalid Resource", "name: Required property missing.")
			return
		}
		for _, s := range l.segments {
			if s.name == name {
				problem(w, http.StatusBadRequest, "Invalid Resource", "Sorry, that tag already exists.")
				return
			}
		}
		s := &mcSegment{id: f.nextSeg, name: name, members: map[string]bool{}}
		f.nextSeg++
		f.setSegment(l, s, body)
		l.segments = append(l.segments, s)
		reply(w, map[string]any{"id": s.id, "name": s.name, "member_count": len(s.members), "type": "static"})
	case len(rest) == 2 && rest[0] == "segments" && r.Method == http.MethodPatch:
		id, _ := strconv.Atoi(rest[1])
		for _, s := range l.segments {
			if s.id == id {
				if n := str(body, "name"); n != "" {
					s.name = n
				}
				f.setSegment(l, s, body)
				reply(w, map[string]any{"id": s.id, "name": s.name, "member_count": len(s.members), "type": "static"})
				return
			}
		}
		notFound(w)
	default:
		notFound(w)
	}
}

// setSegment replaces a static segment's members when static_segment is
// given; addresses that are not members of the list are ignored.
func (f *MailchimpMarketing) setSegment(l *mcList, s *mcSegment, body map[string]any) {
	list, ok := body["static_segment"].([]any)
	if !ok {
		return
	}
	s.members = map[string]bool{}
	for _, e := range list {
		if email, ok := e.(string); ok {
			if _, member := l.members[hash(email)]; member {
				s.members[hash(email)] = true
			}
		}
	}
}

func campaignJSON(c *MarketingCampaign) map[string]any {
	return map[string]any{
		"id": c.ID, "type": c.Type, "status": c.Status, "create_time": c.CreateTime.Format(time.RFC3339),
		"recipients": map[string]any{"list_id": c.ListID, "segment_opts": map[string]any{"saved_segment_id": c.SegmentID}},
		"settings":   map[string]any{"title": c.Title, "subject_line": c.Subject, "from_name": c.FromName, "reply_to": c.ReplyTo, "auto_footer": c.AutoFooter},
	}
}

func (f *MailchimpMarketing) serveCampaigns(w http.ResponseWriter, r *http.Request, rest []string, body map[string]any) {
	find := func(id string) *MarketingCampaign {
		for _, c := range f.campaigns {
			if c.ID == id {
				return c
			}
		}
		return nil
	}
	// unsent is the campaign id if it can still change (saved or paused);
	// nil after answering 404, or 400 with sentDetail.
	unsent := func(id, sentDetail string) *MarketingCampaign {
		c := find(id)
		if c == nil {
			notFound(w)
			return nil
		}
		if c.Status != "save" && c.Status != "paused" {
			problem(w, http.StatusBadRequest, "Bad Request", sentDetail)
			return nil
		}
		return c
	}
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		q := r.URL.Query()
		var since time.Time
		if s := q.Get("since_create_time"); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				problem(w, http.StatusBadRequest, "Invalid Resource", "since_create_time: invalid date")
				return
			}
			since = t
		}
		out := []map[string]any{}
		for _, c := range f.campaigns {
			if (q.Get("list_id") == "" || q.Get("list_id") == c.ListID) && !c.CreateTime.Before(since) {
				out = append(out, campaignJSON(c))
			}
		}
		reply(w, map[string]any{"campaigns": out, "total_items": len(out)})
	case len(rest) == 0 && r.Method == http.MethodPost:
		typ := str(body, "type")
		if !slices.Contains([]string{"regular", "plaintext", "absplit", "rss", "variate"}, typ) {
			problem(w, http.StatusBadRequest, "Invalid Resource", "type: Required property missing or invalid.")
			return
		}
		rec, _ := body["recipients"].(map[string]any)
		listID := str(rec, "list_id")
		l, ok := f.lists[listID]
		if !ok {
			problem(w, http.StatusBadRequest, "Invalid Resource", "recipients.list_id: the audience does not exist.")
			return
		}
		c := &MarketingCampaign{ID: fmt.Sprintf("c%09d", f.nextCamp), Type: typ, Status: "save", ListID: listID, CreateTime: f.now()}
		f.nextCamp++
		if so, ok := rec["segment_opts"].(map[string]any); ok {
			id, _ := so["saved_segment_id"].(float64)
			found := false
			for _, s := range l.segments {
				found = found || s.id == int(id)
			}
			if !found {
				problem(w, http.StatusBadRequest, "Invalid Resource", "recipients.segment_opts.saved_segment_id: the segment does not exist.")
				return
			}
			c.SegmentID = int(id)
		}
		st, _ := body["settings"].(map[string]any)
		c.Title, c.Subject, c.FromName, c.ReplyTo = str(st, "title"), str(st, "subject_line"), str(st, "from_name"), str(st, "reply_to")
		c.AutoFooter, _ = st["auto_footer"].(bool)
		f.campaigns = append(f.campaigns, c)
		reply(w, campaignJSON(c))
	case len(rest) == 2 && rest[1] == "content" && r.Method == http.MethodPut:
		c := unsent(rest[0], "Cannot update content of a campaign that has been sent.")
		if c == nil {
			return
		}
		c.HTML, c.PlainText, c.ContentSet = str(body, "html"), str(body, "plain_text"), true
		reply(w, map[string]any{"html": c.HTML, "plain_text": c.PlainText})
	case len(rest) == 3 && rest[1] == "actions" && rest[2] == "send" && r.Method == http.MethodPost:
		c := unsent(rest[0], "This campaign has already been sent.")
		if c == nil {
			return
		}
		to := f.segmentSubscribers(c)
		if c.Subject == "" || c.FromName == "" || !strings.Contains(c.ReplyTo, "@") || !c.ContentSet || c.HTML == "" || len(to) == 0 {
			problem(w, http.StatusBadRequest, "Bad Request", "Your Campaign is not ready to send.")
			return
		}
		c.Status, c.RecipientsSnapshot = "sent", to
		f.deliveries = append(f.deliveries, MarketingDelivery{CampaignID: c.ID, To: to, Subject: c.Subject, FromName: c.FromName, ReplyTo: c.ReplyTo, HTML: c.HTML, Text: c.PlainText})
		w.WriteHeader(http.StatusNoContent)
	default:
		notFound(w)
	}
}

// segmentSubscribers is who a campaign reaches: the subscribed members of
// its segment (of the whole audience without one).
func (f *MailchimpMarketing) segmentSubscribers(c *MarketingCampaign) []string {
	l := f.lists[c.ListID]
	var out []string
	for h, m := range l.members {
		if m.Status != "subscribed" {
			continue
		}
		in := c.SegmentID == 0
		for _, s := range l.segments {
			if s.id == c.SegmentID && s.members[h] {
				in = true
			}
		}
		if in {
			out = append(out, m.Email)
		}
	}
	slices.Sort(out)
	return out
}
