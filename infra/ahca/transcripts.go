package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/logging"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/tenant"
)

const transcriptsAbout = `Without --table or --dynamodb-endpoint they read the running ahca dev (make dev) at --url, whatever
store it uses. --table reads a deployed stack's table (ahca-<stage>-app) with your AWS credentials;
--dynamodb-endpoint reads DynamoDB Local (table ahca-local unless --table is given).
Times are shown in the business's time zone (from its config in --configs; UTC if it is not there).
`

// tableFlags are the flags that locate the application table.
type tableFlags struct {
	table, endpoint, region string
}

func (tf *tableFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&tf.table, "table", "ahca-local", "DynamoDB `table` (the stack's AppTableName output, ahca-<stage>-app)")
	fs.StringVar(&tf.endpoint, "dynamodb-endpoint", "", "DynamoDB endpoint `URL` (DynamoDB Local); empty for AWS")
	fs.StringVar(&tf.region, "region", "", "AWS `region` (default: from the environment)")
}

// errNoCredentials: no AWS credentials are configured here.
var errNoCredentials = errors.New("no AWS credentials (environment, profile or SSO)")

// awsConfig is the SDK configuration: static local credentials for an
// emulator endpoint, else the default chain (environment, profile, SSO).
func (tf *tableFlags) awsConfig(ctx context.Context) (aws.Config, error) {
	if tf.endpoint != "" {
		region := tf.region
		if region == "" {
			region = "us-east-1"
		}
		return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}, nil
	}
	return defaultAWSConfig(ctx, tf.region)
}

// defaultAWSConfig is the SDK configuration from the default chain
// (environment, profile, SSO) in region (empty: from the environment), or
// errNoCredentials when nothing configures credentials.
func defaultAWSConfig(ctx context.Context, region string) (aws.Config, error) {
	// The SDK's own log only warns about the instance metadata service.
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithLogger(logging.Nop{})}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	if err := checkInstanceCredentials(ctx, cfg); err != nil {
		return aws.Config{}, err
	}
	return cfg, nil
}

// checkInstanceCredentials: when nothing configures credentials, the SDK's
// last resort is the EC2 instance metadata service; off EC2 that fails
// with an IMDS error that means nothing to a person at a laptop. Try it
// first, briefly, and report errNoCredentials instead.
func checkInstanceCredentials(ctx context.Context, cfg aws.Config) error {
	cache, ok := cfg.Credentials.(*aws.CredentialsCache)
	if !ok || !cache.IsCredentialsProvider(&ec2rolecreds.Provider{}) {
		return nil // configured: its errors are worth reading
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return errNoCredentials
	}
	return nil
}

// records returns the pipeline's records in the table.
func (tf *tableFlags) records(cfg aws.Config) *delivery.DynamoRecords {
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if tf.endpoint != "" {
			o.BaseEndpoint = aws.String(tf.endpoint)
		}
	})
	return delivery.NewDynamoRecords(client, tf.table)
}

// transcriptSource is where the commands read transcripts: a table, or a
// running ahca dev.
type transcriptSource interface {
	ListTranscripts(ctx context.Context, biz tenant.ID, since time.Time, limit int) ([]*delivery.Record, error)
	FindTranscript(ctx context.Context, biz tenant.ID, sessionID string) (*delivery.Record, error)
}

// transcriptFlags are the flags both transcripts commands take.
type transcriptFlags struct {
	tableFlags
	devURL  string
	configs string
	biz     string
}

func (tf *transcriptFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&tf.biz, "business", "", "business `ID`")
	tf.tableFlags.register(fs)
	fs.StringVar(&tf.devURL, "url", "http://"+devAddr(), "`URL` of the ahca dev to read from when neither --table nor --dynamodb-endpoint is given")
	fs.StringVar(&tf.configs, "configs", "configs", "configs tree `dir`ectory, for the business's time zone")
}

// source is the table when one is named, else the dev server; where says
// which, for messages.
func (tf *transcriptFlags) source(ctx context.Context, inv *invocation) (src transcriptSource, where string, err error) {
	if !inv.given("table") && !inv.given("dynamodb-endpoint") {
		return devRecords{base: strings.TrimSuffix(tf.devURL, "/")}, "on the dev server at " + tf.devURL, nil
	}
	cfg, err := tf.awsConfig(ctx)
	if err != nil {
		return nil, "", err
	}
	return tf.records(cfg), "in table " + tf.table, nil
}

// failed reports why the transcripts could not be read, in one line.
func (tf *transcriptFlags) failed(inv *invocation, err error) int {
	switch {
	case isRefused(err) && tf.endpoint != "":
		return inv.failf(exitFailed, "nothing is listening on %s — start DynamoDB Local (bash infra/scripts/dynamodb-local.sh start) or fix --dynamodb-endpoint", tf.endpoint)
	case isRefused(err):
		return inv.failf(exitFailed, "nothing is listening on %s — start it with \"make dev\", point elsewhere with --url URL, or read a deployed stack with --table ahca-<stage>-app", tf.devURL)
	case errors.Is(err, errNoCredentials):
		return inv.failf(exitFailed, "%v to read table %s — log in (aws sso login, AWS_PROFILE), or drop --table to read the running make dev", err, tf.table)
	}
	return inv.failf(exitFailed, "%v", err)
}

// businessID is --business, checked.
func (tf *transcriptFlags) businessID(inv *invocation) (tenant.ID, bool) {
	id, err := tenant.ParseID(tf.biz)
	if err != nil {
		inv.usageError("--business: %v", err)
		return "", false
	}
	return id, true
}

func transcriptsListSetup(fs *flag.FlagSet) action {
	var tf transcriptFlags
	tf.register(fs)
	since := fs.String("since", "", "only conversations that ended at or after `when`: a date (in the business's time zone), an RFC 3339 time, or a duration ago (24h, 7d)")
	limit := fs.Int("limit", 100, "at most `n`, newest first (0 = all)")
	return func(ctx context.Context, inv *invocation) int {
		return transcriptsList(ctx, inv, &tf, *since, *limit)
	}
}

func transcriptsList(ctx context.Context, inv *invocation, tf *transcriptFlags, since string, limit int) int {
	id, ok := tf.businessID(inv)
	if !ok {
		return exitUsage
	}
	loc := businessLocation(ctx, tf.configs, id, inv.stderr)
	from, err := parseSince(since, time.Now(), loc)
	if err != nil {
		return inv.usageError("--since: %v", err)
	}
	src, _, err := tf.source(ctx, inv)
	if err != nil {
		return tf.failed(inv, err)
	}
	rs, err := src.ListTranscripts(ctx, id, from, limit)
	if err != nil {
		return tf.failed(inv, err)
	}
	stdout := inv.stdout
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SESSION\tENDED\tCHANNEL\tSTATUS\tCALLER\tREASON")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", terminalSafe(r.SessionID, 64), r.EndedAt.In(loc).Format("2006-01-02 15:04 MST"),
			r.Channel, r.Status, orDash(terminalSafe(r.Caller.Name, 30)), orDash(terminalSafe(r.Caller.Reason, 50)))
	}
	tw.Flush()
	what := "since " + from.In(loc).Format("2006-01-02 15:04 MST")
	if from.IsZero() {
		what = "in all"
	}
	fmt.Fprintf(stdout, "%d conversation(s) of %s %s\n", len(rs), id, what)
	return exitOK
}

func transcriptsShowSetup(fs *flag.FlagSet) action {
	var tf transcriptFlags
	tf.register(fs)
	asJSON := fs.Bool("json", false, "print the stored record as JSON")
	return func(ctx context.Context, inv *invocation) int {
		return transcriptsShow(ctx, inv, &tf, *asJSON)
	}
}

func transcriptsShow(ctx context.Context, inv *invocation, tf *transcriptFlags, asJSON bool) int {
	id, ok := tf.businessID(inv)
	if !ok {
		return exitUsage
	}
	session := inv.args[0]
	src, where, err := tf.source(ctx, inv)
	if err != nil {
		return tf.failed(inv, err)
	}
	r, err := src.FindTranscript(ctx, id, session)
	if errors.Is(err, delivery.ErrNotFound) {
		return inv.failf(exitInvalid, "no transcript of session %q for business %s %s", session, id, where)
	}
	if err != nil {
		return tf.failed(inv, err)
	}
	if asJSON {
		out, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return inv.failf(exitFailed, "%v", err)
		}
		fmt.Fprintln(inv.stdout, string(out))
		return exitOK
	}
	writeTranscript(inv.stdout, r, businessLocation(ctx, tf.configs, id, inv.stderr))
	return exitOK
}

// writeTranscript prints a transcript for a person to read.
func writeTranscript(w io.Writer, r *delivery.Record, loc *time.Location) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	outcome := string(r.Status)
	if r.EndReason != "" && r.EndReason != string(r.Status) {
		outcome += " (" + terminalSafe(r.EndReason, 40) + ")"
	}
	field("Session", terminalSafe(r.SessionID, 64))
	field("Business", string(r.BusinessID))
	field("Channel", string(r.Channel))
	field("Call SID", terminalSafe(r.CallSID, 64))
	field("Outcome", outcome)
	field("Started", r.StartedAt.In(loc).Format("Mon 2006-01-02 15:04:05 MST"))
	field("Ended", fmt.Sprintf("%s (%s)", r.EndedAt.In(loc).Format("15:04:05 MST"), r.Duration().Round(time.Second)))
	field("Caller", terminalSafe(r.Caller.Name, 100))
	if p := r.CallbackPhone; p != "" {
		if n, err := phone.ValidateNANP(p); err == nil {
			p = n.Display
		}
		p = terminalSafe(p, 40)
		if r.PhoneFromCallerID {
			p += " (caller ID; not given by the caller)"
		}
		field("Phone", p)
	}
	field("Email", terminalSafe(r.Caller.Email, 200))
	field("Reason", terminalSafe(r.Caller.Reason, 500))
	if r.Summary != "" {
		field("Summary", terminalSafe(r.Summary, 2000)+" ["+r.SummarySource+"]")
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, t := range r.Turns {
		who := map[string]string{"caller": "Caller", "agent": "Agent", "tool": "Tool"}[t.Role]
		if who == "" {
			who = terminalSafe(t.Role, 20)
		}
		text := terminalSafe(t.Text, 4000)
		if t.Tool != "" {
			text = "[" + terminalSafe(t.Tool, 40) + "] " + text
		}
		if t.Interrupted {
			text += " [interrupted]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.At.In(loc).Format("15:04:05"), who, text)
	}
	if len(r.Turns) == 0 {
		fmt.Fprintln(tw, "(no turns)")
	}
	tw.Flush()
}

// terminalSafe makes caller-supplied text safe to print: control
// characters (an escape sequence could rewrite the operator's terminal),
// line breaks and bidi overrides become spaces; it is cut to max runes.
func terminalSafe(s string, max int) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' ||
			(r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') || r == unicode.ReplacementChar {
			space = b.Len() > 0
			continue
		}
		if n >= max {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// businessLocation is the business's time zone from the configs tree, or
// UTC (with a note) when the tree or the business cannot be read.
func businessLocation(ctx context.Context, dir string, id tenant.ID, stderr io.Writer) *time.Location {
	set, err := business.Load(ctx, business.DirSource{Dir: dir})
	if err == nil {
		var b *business.Business
		if b, err = set.Business(id); err == nil {
			return b.Location()
		}
	}
	fmt.Fprintf(stderr, "note: times in UTC: the business's time zone is unknown (%s: %v)\n", dir, firstLine(err))
	return time.UTC
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// parseSince reads --since: "" (no bound), a date (midnight in loc), an
// RFC 3339 time, or a duration before now ("24h", "90m", "7d").
func parseSince(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return time.Time{}, nil
	case strings.HasSuffix(s, "d"):
		if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q: want a date (2026-11-01), an RFC 3339 time (2026-11-01T08:00:00Z) or a duration (24h, 7d)", s)
}
