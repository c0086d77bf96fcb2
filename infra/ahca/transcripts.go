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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/tenant"
)

const transcriptsUsage = `usage:
  ahca transcripts list --business ID [--since 2026-11-01|2026-11-01T08:00:00Z|24h|7d] [--limit N]
                        [--table T] [--dynamodb-endpoint URL] [--region R] [--configs DIR]
  ahca transcripts show SESSION --business ID [--json] [--table T] [--dynamodb-endpoint URL] [--region R] [--configs DIR]

Times are shown in the business's time zone (from its config in --configs; UTC if it is not there).
--table is the stack's table (ahca-<stage>-app); the default, ahca-local, is make dev's DynamoDB Local table.
`

// tableFlags are the flags that locate the application table.
type tableFlags struct {
	table, endpoint, region string
}

func (tf *tableFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&tf.table, "table", "ahca-local", "DynamoDB table (the stack's AppTableName output, ahca-<stage>-app)")
	fs.StringVar(&tf.endpoint, "dynamodb-endpoint", "", "DynamoDB endpoint URL (DynamoDB Local); empty for AWS")
	fs.StringVar(&tf.region, "region", "", "AWS region (default: from the environment)")
}

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
	var opts []func(*awsconfig.LoadOptions) error
	if tf.region != "" {
		opts = append(opts, awsconfig.WithRegion(tf.region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	return cfg, nil
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

// transcriptsCommand runs `ahca transcripts list|show`.
func transcriptsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, transcriptsUsage)
		return exitUsage
	}
	switch args[0] {
	case "list":
		return transcriptsList(ctx, args[1:], stdout, stderr)
	case "show":
		return transcriptsShow(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "ahca: unknown command %q\n%s", "transcripts "+args[0], transcriptsUsage)
	return exitUsage
}

func transcriptsList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("transcripts list", flag.ContinueOnError)
	var tf tableFlags
	tf.register(fs)
	biz := fs.String("business", "", "business id")
	since := fs.String("since", "", "only conversations that ended at or after: a date (in the business's time zone), an RFC 3339 time, or a duration ago (24h, 7d)")
	limit := fs.Int("limit", 100, "at most this many, newest first (0 = all)")
	configsDir := fs.String("configs", "configs", "configs tree, for the business's time zone")
	pos, ok := parseFlags(fs, args, stderr)
	if !ok || len(pos) > 0 || *biz == "" {
		if ok && *biz == "" {
			fmt.Fprintln(stderr, "ahca: transcripts list needs --business")
		}
		fmt.Fprint(stderr, transcriptsUsage)
		return exitUsage
	}
	id, err := tenant.ParseID(*biz)
	if err != nil {
		fmt.Fprintf(stderr, "ahca: --business: %v\n", err)
		return exitUsage
	}
	loc := businessLocation(ctx, *configsDir, id, stderr)
	from, err := parseSince(*since, time.Now(), loc)
	if err != nil {
		fmt.Fprintf(stderr, "ahca: --since: %v\n", err)
		return exitUsage
	}
	cfg, err := tf.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "ahca: %v\n", err)
		return exitFailed
	}
	rs, err := tf.records(cfg).ListTranscripts(ctx, id, from, *limit)
	if err != nil {
		fmt.Fprintf(stderr, "ahca: %v\n", err)
		return exitFailed
	}
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

func transcriptsShow(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("transcripts show", flag.ContinueOnError)
	var tf tableFlags
	tf.register(fs)
	biz := fs.String("business", "", "business id")
	asJSON := fs.Bool("json", false, "print the stored record as JSON")
	configsDir := fs.String("configs", "configs", "configs tree, for the business's time zone")
	pos, ok := parseFlags(fs, args, stderr)
	if !ok || len(pos) != 1 || *biz == "" {
		if ok && *biz == "" {
			fmt.Fprintln(stderr, "ahca: transcripts show needs --business")
		}
		fmt.Fprint(stderr, transcriptsUsage)
		return exitUsage
	}
	id, err := tenant.ParseID(*biz)
	if err != nil {
		fmt.Fprintf(stderr, "ahca: --business: %v\n", err)
		return exitUsage
	}
	cfg, err := tf.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "ahca: %v\n", err)
		return exitFailed
	}
	r, err := tf.records(cfg).FindTranscript(ctx, id, pos[0])
	if errors.Is(err, delivery.ErrNotFound) {
		fmt.Fprintf(stderr, "ahca: no transcript of session %q for business %s in table %s\n", pos[0], id, tf.table)
		return exitInvalid
	}
	if err != nil {
		fmt.Fprintf(stderr, "ahca: %v\n", err)
		return exitFailed
	}
	if *asJSON {
		out, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "ahca: %v\n", err)
			return exitFailed
		}
		fmt.Fprintln(stdout, string(out))
		return exitOK
	}
	writeTranscript(stdout, r, businessLocation(ctx, *configsDir, id, stderr))
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
