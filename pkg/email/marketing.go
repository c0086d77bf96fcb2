package email

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// MarketingRecipientTag is the tag (a static segment) of the business's
// audience whose members receive the summaries.
const MarketingRecipientTag = "ahca-summary-recipient"

// MarketingLeadTag is the tag given to callers added to the audience.
const MarketingLeadTag = "ahca-caller"

// MarketingLookback is how far back Send looks for a campaign it already
// created for the same message (a retry).
const MarketingLookback = 7 * 24 * time.Hour

// MarketingOptions configures [NewMailchimpMarketing].
type MarketingOptions struct {
	// APIKey returns the Mailchimp Marketing API key; called on every send.
	APIKey func(ctx context.Context) (string, error)
	// ServerPrefix is the account's data centre ("us21"). "" takes it from
	// the key's suffix ("…-us21").
	ServerPrefix string
	// AudienceID is the business's audience (list) id.
	AudienceID string
	// Recipients are the only addresses Send delivers to: the business's
	// notificationRecipients. They are subscribed to the audience and tagged
	// MarketingRecipientTag; a message to any other address (a caller's copy)
	// is refused with ErrUnsupported.
	Recipients []string
	// BaseURL replaces https://<ServerPrefix>.api.mailchimp.com/3.0 (for
	// fakes).
	BaseURL string
	// HTTPClient defaults to a client with a 30 s timeout.
	HTTPClient *http.Client
	// Logger receives what is not an error but should not go unnoticed (a
	// recipient who unsubscribed, a lead Mailchimp refused); nil means
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock for the retry lookback; nil means time.Now.
	Now func() time.Time
}

type marketingSender struct{ opts MarketingOptions }

// NewMailchimpMarketing returns a Sender for email.provider
// "mailchimp-marketing".
//
// How mailchimp-marketing is honoured. The Marketing API has no way to send
// one email to one address: it sends campaigns to audience members who are
// subscribed. Of the original service's "audience + campaign" model we keep
// what is lawful and useful:
//
//  1. The summary goes to the business's notificationRecipients as a regular
//     campaign. Each recipient is upserted into the business's audience
//     (PUT /lists/{audienceId}/members/{md5(lower(email))} with
//     status_if_new "subscribed": the business configured the address to
//     receive these emails; a "transactional" contact is upgraded to
//     subscribed; an unsubscribed, cleaned or pending one is never
//     re-subscribed and is skipped with a warning). The static segment (tag)
//     "ahca-summary-recipient" is set to exactly those addresses, and a
//     campaign titled with the message's idempotency key
//     ("ahca-<business>-<session>") is created for that segment (POST
//     /campaigns, type regular, from_name and reply_to from the business's
//     fromName/fromEmail, Mailchimp's footer on), its HTML and text set (PUT
//     /campaigns/{id}/content) and sent (POST /campaigns/{id}/actions/send).
//     The campaign id is the provider id.
//  2. The caller, when they gave a valid email address, is upserted into the
//     same audience with status_if_new "transactional" and tagged
//     "ahca-caller": the lead is recorded in the business's Mailchimp
//     without marketing consent, so no campaign ever reaches them. An
//     existing member's status is never changed. No merge fields are
//     written (an audience need not have FNAME or PHONE). A refusal by
//     Mailchimp (4xx) is logged and does not fail the send.
//  3. A caller's copy cannot be delivered — a campaign can only reach
//     subscribed members, and we have no consent to subscribe a caller — so
//     Send refuses any recipient outside notificationRecipients with
//     ErrUnsupported. Businesses that want caller copies use ses or
//     mailchimp-transactional.
//
// Consequences: the summary's Reply-To cannot be the caller (a campaign's
// reply_to is also its From address, so it stays the business's fromEmail;
// the caller's address is a mailto link in the body); Mailchimp adds its
// footer with an unsubscribe link, which a recipient could use to stop the
// summaries. Campaigns cannot be found by title through the API (GET
// /campaigns has no title filter), so before creating one Send lists the
// audience's campaigns created in the last 7 days and reuses one whose
// title is the idempotency key: a retry after a partial failure finishes
// that campaign instead of sending the summary twice (a campaign not yet
// visible in the listing can still be duplicated).
//
// Errors: 4xx other than 429 are permanent, 429, 5xx and network errors
// transient; an unknown data centre or audience is a permanent
// configuration error.
func NewMailchimpMarketing(opts MarketingOptions) Sender {
	return &marketingSender{opts: opts}
}

var serverPrefixPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2,}[0-9]+$`) })

func (s *marketingSender) base(key string) (string, error) {
	if s.opts.BaseURL != "" {
		return strings.TrimSuffix(s.opts.BaseURL, "/"), nil
	}
	dc := s.opts.ServerPrefix
	if dc == "" {
		if i := strings.LastIndex(key, "-"); i >= 0 {
			dc = key[i+1:]
		}
	}
	if !serverPrefixPattern().MatchString(dc) {
		return "", permanent(errors.New("email: mailchimp-marketing: no valid data centre: set email.serverPrefix (e.g. us21) or use a key ending in -us21"))
	}
	return "https://" + dc + ".api.mailchimp.com/3.0", nil
}

// mcClient is one send's view of the API.
type mcClient struct {
	http *http.Client
	base string
	key  string
}

type mcProblem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// do calls the API; out (may be nil) receives a 2xx JSON body.
func (c *mcClient) do(ctx context.Context, method, path string, in, out any) error {
	resp, err := doJSON(ctx, c.http, method, c.base+path, in, func(r *http.Request) { r.SetBasicAuth("ahca", c.key) })
	if err != nil {
		return fmt.Errorf("email: mailchimp-marketing: %s %s: %w", method, path, err)
	}
	if resp.status >= 200 && resp.status < 300 {
		if out != nil && len(resp.body) > 0 {
			if err := json.Unmarshal(resp.body, out); err != nil {
				return fmt.Errorf("email: mailchimp-marketing: %s %s: decode: %w", method, path, err)
			}
		}
		return nil
	}
	var p mcProblem
	msg := snippet(resp.body)
	if json.Unmarshal(resp.body, &p) == nil && (p.Title != "" || p.Detail != "") {
		msg = strings.TrimSpace(p.Title + ": " + p.Detail)
	}
	return byStatus(resp.status, fmt.Errorf("email: mailchimp-marketing: %s %s: HTTP %d %s", method, path, resp.status, msg))
}

func subscriberHash(email string) string {
	h := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(h[:])
}

type mcMember struct {
	EmailAddress string `json:"email_address"`
	Status       string `json:"status"`
}

type mcCampaign struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Settings struct {
		Title string `json:"title"`
	} `json:"settings"`
}

func (s *marketingSender) Send(ctx context.Context, m Message) (string, error) {
	m = sanitizeMessage(m)
	if err := validate(m); err != nil {
		return "", err
	}
	if s.opts.AudienceID == "" {
		return "", permanent(errors.New("email: mailchimp-marketing: no email.audienceId configured"))
	}
	allowed := map[string]bool{}
	for _, r := range s.opts.Recipients {
		allowed[strings.ToLower(headerValue(r))] = true
	}
	var to []string
	for _, a := range append(slices.Clone(m.To), m.Cc...) {
		a = strings.ToLower(a)
		if !allowed[a] {
			return "", fmt.Errorf("email: mailchimp-marketing can only email the business's notificationRecipients (a campaign reaches subscribed audience members only), not %s: %w", a, ErrUnsupported)
		}
		if !slices.Contains(to, a) {
			to = append(to, a)
		}
	}
	key, err := resolveKey(ctx, "mailchimp-marketing", s.opts.APIKey)
	if err != nil {
		return "", err
	}
	base, err := s.base(key)
	if err != nil {
		return "", err
	}
	c := &mcClient{http: s.opts.HTTPClient, base: base, key: key}
	list := "/lists/" + url.PathEscape(s.opts.AudienceID)
	log := logger(s.opts.Logger).With("audienceId", s.opts.AudienceID, "idempotencyKey", m.IdempotencyKey)

	title := m.IdempotencyKey
	if title == "" {
		title = "ahca " + s.now().UTC().Format(time.RFC3339Nano)
	}
	existing, err := s.findCampaign(ctx, c, title)
	if err != nil {
		return "", err
	}
	id := ""
	if existing != nil {
		id = existing.ID
	}
	if existing == nil || existing.Status == "save" || existing.Status == "paused" {
		subscribed, err := s.subscribeRecipients(ctx, c, list, to, log)
		if err != nil {
			return "", err
		}
		segment, err := syncSegment(ctx, c, list, subscribed)
		if err != nil {
			return "", err
		}
		if existing == nil {
			var created mcCampaign
			err := c.do(ctx, http.MethodPost, "/campaigns", map[string]any{
				"type": "regular",
				"recipients": map[string]any{
					"list_id":      s.opts.AudienceID,
					"segment_opts": map[string]any{"saved_segment_id": segment},
				},
				"settings": map[string]any{
					"subject_line": truncate(m.Subject, 150),
					"title":        title,
					"from_name":    fromNameOr(m),
					"reply_to":     m.FromEmail,
					"auto_footer":  true,
				},
			}, &created)
			if err != nil {
				return "", err
			}
			if created.ID == "" {
				return "", errors.New("email: mailchimp-marketing: POST /campaigns returned no id")
			}
			id = created.ID
		}
		camp := "/campaigns/" + url.PathEscape(id)
		if err := c.do(ctx, http.MethodPut, camp+"/content", map[string]any{"html": m.HTML, "plain_text": m.Text}, nil); err != nil {
			return "", err
		}
		if err := c.do(ctx, http.MethodPost, camp+"/actions/send", nil, nil); err != nil {
			return "", err
		}
	}
	if m.Lead != nil {
		if err := s.upsertLead(ctx, c, list, *m.Lead, log); err != nil {
			// The summary is out; a retry finds its campaign and only
			// repeats the lead.
			return id, err
		}
	}
	return id, nil
}

func (s *marketingSender) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

func fromNameOr(m Message) string {
	if m.FromName != "" {
		return m.FromName
	}
	return m.FromEmail
}

// findCampaign returns the campaign titled title created within the
// lookback, or nil.
func (s *marketingSender) findCampaign(ctx context.Context, c *mcClient, title string) (*mcCampaign, error) {
	q := url.Values{
		"list_id":           {s.opts.AudienceID},
		"since_create_time": {s.now().Add(-MarketingLookback).UTC().Format(time.RFC3339)},
		"count":             {"1000"},
		"sort_field":        {"create_time"},
		"sort_dir":          {"DESC"},
		"fields":            {"campaigns.id,campaigns.status,campaigns.settings.title"},
	}
	var out struct {
		Campaigns []mcCampaign `json:"campaigns"`
	}
	if err := c.do(ctx, http.MethodGet, "/campaigns?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	for i := range out.Campaigns {
		if out.Campaigns[i].Settings.Title == title {
			return &out.Campaigns[i], nil
		}
	}
	return nil, nil
}

// subscribeRecipients makes each address a subscribed member and returns
// those that are; it fails permanently when none is.
func (s *marketingSender) subscribeRecipients(ctx context.Context, c *mcClient, list string, to []string, log *slog.Logger) ([]string, error) {
	var ok []string
	var skipped []string
	for _, a := range to {
		path := list + "/members/" + subscriberHash(a)
		var mem mcMember
		if err := c.do(ctx, http.MethodPut, path, map[string]any{"email_address": a, "status_if_new": "subscribed"}, &mem); err != nil {
			return nil, err
		}
		switch mem.Status {
		case "subscribed":
		case "transactional":
			if err := c.do(ctx, http.MethodPatch, path, map[string]any{"status": "subscribed"}, &mem); err != nil {
				return nil, err
			}
		}
		if mem.Status != "subscribed" {
			skipped = append(skipped, a+" ("+mem.Status+")")
			continue
		}
		ok = append(ok, a)
	}
	if len(skipped) > 0 {
		log.WarnContext(ctx, "email: mailchimp-marketing: recipients not subscribed to the audience will not get the summary", "skipped", skipped)
	}
	if len(ok) == 0 {
		return nil, permanent(fmt.Errorf("email: mailchimp-marketing: no recipient is a subscribed member of audience %s: %s", s.opts.AudienceID, strings.Join(skipped, ", ")))
	}
	return ok, nil
}

// syncSegment sets the recipients tag to exactly addrs and returns its id.
func syncSegment(ctx context.Context, c *mcClient, list string, addrs []string) (int, error) {
	var segs struct {
		Segments []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"segments"`
	}
	q := url.Values{"type": {"static"}, "count": {"1000"}, "fields": {"segments.id,segments.name"}}
	if err := c.do(ctx, http.MethodGet, list+"/segments?"+q.Encode(), nil, &segs); err != nil {
		return 0, err
	}
	body := map[string]any{"name": MarketingRecipientTag, "static_segment": addrs}
	for _, sg := range segs.Segments {
		if sg.Name == MarketingRecipientTag {
			return sg.ID, c.do(ctx, http.MethodPatch, fmt.Sprintf("%s/segments/%d", list, sg.ID), body, nil)
		}
	}
	var created struct {
		ID int `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, list+"/segments", body, &created); err != nil {
		return 0, err
	}
	if created.ID == 0 {
		return 0, errors.New("email: mailchimp-marketing: POST segments returned no id")
	}
	return created.ID, nil
}

// upsertLead records the caller as a transactional contact. Mailchimp's
// refusals (4xx: an address it considers fake, a compliance state) are
// logged, not returned; transient failures are returned.
func (s *marketingSender) upsertLead(ctx context.Context, c *mcClient, list string, l Lead, log *slog.Logger) error {
	email := strings.ToLower(headerValue(l.Email))
	path := list + "/members/" + subscriberHash(email)
	err := c.do(ctx, http.MethodPut, path, map[string]any{"email_address": email, "status_if_new": "transactional"}, nil)
	if err == nil {
		err = c.do(ctx, http.MethodPost, path+"/tags", map[string]any{"tags": []map[string]string{{"name": MarketingLeadTag, "status": "active"}}}, nil)
	}
	if err != nil && IsPermanent(err) {
		log.WarnContext(ctx, "email: mailchimp-marketing: the caller could not be added to the audience", "err", err)
		return nil
	}
	return err
}
