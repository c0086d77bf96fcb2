package calendars

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
)

// graphTime is the layout of Graph's dateTimeTimeZone.dateTime.
const graphTime = "2006-01-02T15:04:05.9999999"

// maxPages bounds how many calendarView pages one query follows.
const maxPages = 20

// Microsoft is a booking.Store on a Microsoft 365 calendar through Microsoft
// Graph with client credentials (an app registration with the Calendars.
// ReadWrite application permission).
type Microsoft struct{ store }

// NewMicrosoft returns the Microsoft Graph store of b, whose
// calendar.microsoft must be set. Credentials are resolved at use.
func NewMicrosoft(b *business.Business, opts Options) *Microsoft {
	return &Microsoft{store{biz: b, p: &graphProvider{newAccount("microsoft", b, b.Calendar.Microsoft, opts)}}}
}

type graphProvider struct {
	account[business.MicrosoftCalendar]
}

func (m *graphProvider) calendarKey() string { return m.key(m.cfg.UserID, m.cfg.CalendarID) }

type graphCreds struct {
	tenant, clientID, clientSecret, userID, calendarID string
}

func (m *graphProvider) creds(ctx context.Context) (graphCreds, error) {
	var c graphCreds
	err := m.resolve(ctx, []credField{
		{"tenantId", &c.tenant, m.cfg.TenantID, true},
		{"clientId", &c.clientID, m.cfg.ClientID, true},
		{"clientSecret", &c.clientSecret, m.cfg.ClientSecret, true},
		{"userId", &c.userID, m.cfg.UserID, true},
		{"calendarId", &c.calendarID, m.cfg.CalendarID, false},
	})
	return c, err
}

// base is the Graph path of the mailbox or calendar.
func (c graphCreds) base() string {
	p := "/users/" + url.PathEscape(c.userID)
	if c.calendarID != "" {
		p += "/calendars/" + url.PathEscape(c.calendarID)
	}
	return p
}

func (m *graphProvider) token(ctx context.Context, c graphCreds) (string, error) {
	return m.cachedToken([]string{c.tenant, c.clientID, c.clientSecret}, func() (string, time.Duration, error) {
		form := url.Values{
			"client_id":     {c.clientID},
			"client_secret": {c.clientSecret},
			"scope":         {GraphScope},
			"grant_type":    {"client_credentials"},
		}
		u := m.o.MicrosoftLoginBase + "/" + url.PathEscape(c.tenant) + "/oauth2/v2.0/token"
		return fetchToken(ctx, m.o.HTTPClient, "microsoft", u, form)
	})
}

// call sends one Graph request with the access token; u is absolute.
func (m *graphProvider) call(ctx context.Context, c graphCreds, what, method, u string, in, out any) error {
	tok, err := m.token(ctx, c)
	if err != nil {
		return err
	}
	return m.send(ctx, tok, what, method, u, in, out, map[string]string{"Prefer": `outlook.timezone="UTC"`})
}

type graphDateTime struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

func (d graphDateTime) time() (time.Time, error) {
	loc := time.UTC
	if d.TimeZone != "" && d.TimeZone != "UTC" {
		l, err := time.LoadLocation(d.TimeZone)
		if err != nil {
			return time.Time{}, fmt.Errorf("time zone %q: %w", d.TimeZone, err)
		}
		loc = l
	}
	return time.ParseInLocation(graphTime, d.DateTime, loc)
}

func (m *graphProvider) busy(ctx context.Context, start, end time.Time) ([]interval, error) {
	c, err := m.creds(ctx)
	if err != nil {
		return nil, err
	}
	q := url.Values{
		"startDateTime": {start.UTC().Format(time.RFC3339)},
		"endDateTime":   {end.UTC().Format(time.RFC3339)},
		"$select":       {"start,end,showAs,isCancelled"},
	}
	u := m.o.GraphBase + c.base() + "/calendarView?" + q.Encode()
	var busy []interval
	for page := 0; u != ""; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("calendars: microsoft calendarView: more than %d pages", maxPages)
		}
		var out struct {
			Value []struct {
				Start       graphDateTime `json:"start"`
				End         graphDateTime `json:"end"`
				ShowAs      string        `json:"showAs"`
				IsCancelled bool          `json:"isCancelled"`
			} `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := m.call(ctx, c, "calendarView", http.MethodGet, u, nil, &out); err != nil {
			return nil, err
		}
		for _, e := range out.Value {
			if strings.EqualFold(e.ShowAs, "free") || e.IsCancelled {
				continue
			}
			s, err1 := e.Start.time()
			t, err2 := e.End.time()
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("calendars: microsoft calendarView: %w", err)
			}
			busy = append(busy, interval{s, t})
		}
		u = out.NextLink
	}
	return busy, nil
}

func (m *graphProvider) insert(ctx context.Context, slot booking.Slot, summary, description string) error {
	c, err := m.creds(ctx)
	if err != nil {
		return err
	}
	in := map[string]any{
		"subject": summary,
		"body":    map[string]string{"contentType": "text", "content": description},
		"start":   graphDateTime{slot.Start.UTC().Format("2006-01-02T15:04:05"), "UTC"},
		"end":     graphDateTime{slot.End.UTC().Format("2006-01-02T15:04:05"), "UTC"},
	}
	return m.call(ctx, c, "create event", http.MethodPost, m.o.GraphBase+c.base()+"/events", in, nil)
}
