package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/delivery/emaildelivery"
	"github.com/ahca/ahca/pkg/email"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/summary"
	"github.com/ahca/ahca/pkg/tenant"
)

const emailsAbout = `Sends the summary emails in the dead letters again (each email at most once), through each business's
current config and provider, and deletes the dead letters that are done. Without --business: every
business in the configs. --dry-run lists the dead letters and sends nothing.
`

// redriveFlags are the flags of emails redrive.
type redriveFlags struct {
	tableFlags
	biz, configsDir, bucket, prefix, sesEndpoint, outbox string
	dry, verbose                                         bool
}

func emailsRedriveSetup(fs *flag.FlagSet) action {
	var f redriveFlags
	f.tableFlags.register(fs)
	fs.StringVar(&f.biz, "business", "", "only the business with this `ID` (default: every business in the configs)")
	fs.BoolVar(&f.dry, "dry-run", false, "list the dead letters, send nothing")
	fs.StringVar(&f.configsDir, "configs", "configs", "configs tree `dir`ectory")
	fs.StringVar(&f.bucket, "bucket", "", "read the configs from this S3 `bucket` (the stack's ConfigBucketName) instead of --configs")
	fs.StringVar(&f.prefix, "prefix", "", "key `prefix` in --bucket")
	fs.StringVar(&f.sesEndpoint, "ses-endpoint", "", "SES v2 endpoint `URL` (aws-ses-v2-local); empty for AWS")
	fs.StringVar(&f.outbox, "outbox", "", "write the emails to this local outbox `dir`ectory (make dev) instead of sending them")
	fs.BoolVar(&f.verbose, "v", false, "log what the pipeline does")
	return func(ctx context.Context, inv *invocation) int { return emailsRedrive(ctx, inv, &f) }
}

// cliConfigs serves a loaded configs tree to the pipeline.
type cliConfigs struct{ set *business.Set }

func (c cliConfigs) Business(_ context.Context, id tenant.ID) (*business.Business, error) {
	return c.set.Business(id)
}

func emailsRedrive(ctx context.Context, inv *invocation, f *redriveFlags) int {
	stdout, stderr := inv.stdout, inv.stderr
	tf := &f.tableFlags
	var only tenant.ID
	if f.biz != "" {
		id, err := tenant.ParseID(f.biz)
		if err != nil {
			return inv.usageError("--business: %v", err)
		}
		only = id
	}
	cfg, err := tf.awsConfig(ctx)
	if errors.Is(err, errNoCredentials) {
		return inv.failf(exitFailed, "%v to read table %s — log in (aws sso login, AWS_PROFILE), or use --dynamodb-endpoint URL for DynamoDB Local", err, tf.table)
	}
	if err != nil {
		return inv.failf(exitFailed, "%v", err)
	}
	records := tf.records(cfg)
	set, code := redriveConfigs(ctx, cfg, f.configsDir, f.bucket, f.prefix, stderr)
	if set == nil {
		return code
	}
	businesses := set.IDs()
	if only != "" {
		if _, err := set.Business(only); err != nil {
			fmt.Fprintf(stderr, "ahca: warning: %v (its dead letters cannot be sent until it is configured)\n", err)
		}
		businesses = []tenant.ID{only}
	}

	if f.dry {
		return listDeadLetters(ctx, records, businesses, stdout, stderr)
	}

	level := slog.LevelError
	if f.verbose {
		level = slog.LevelInfo
	}
	log := tenant.NewJSONLogger(stderr, level)
	providers := &email.Providers{Logger: log}
	switch {
	case f.outbox != "":
		providers.Outbox = email.NewOutbox(f.outbox)
	case tf.endpoint != "" || f.sesEndpoint != "":
		// Local stack: environment secrets only; SES at the given endpoint.
		providers.Resolver = secret.NewResolver(secret.Options{})
		providers.SES = sesv2.NewFromConfig(cfg, func(o *sesv2.Options) {
			if f.sesEndpoint != "" {
				o.BaseEndpoint = aws.String(f.sesEndpoint)
			}
		})
	default:
		providers.Resolver = secret.NewResolver(secret.Options{SSM: secret.NewSSM(cfg), SecretsManager: secret.NewSecretsManager(cfg)})
		providers.SES = sesv2.NewFromConfig(cfg)
	}
	p := emaildelivery.New(emaildelivery.Options{
		Store:      records,
		Configs:    cliConfigs{set},
		Summarizer: &summary.Summarizer{}, // a redrive sends the summary stored with the transcript
		Providers:  providers,
		Businesses: func(context.Context) ([]tenant.ID, error) { return businesses, nil },
		Log:        log,
	})
	done, failed := 0, 0
	err = p.RedriveEach(ctx, only, func(r delivery.Redriven) {
		if r.Done {
			done++
			var sent []string
			for _, s := range r.Sent {
				sent = append(sent, fmt.Sprintf("%s email (provider id %s)", s.Kind, s.ProviderID))
			}
			for _, k := range r.AlreadySent {
				sent = append(sent, fmt.Sprintf("%s email (already sent)", k))
			}
			if len(sent) == 0 {
				sent = append(sent, "nothing to send (summary email off for the business)")
			}
			fmt.Fprintf(stdout, "sent    %s/%s: %s\n", r.BusinessID, r.SessionID, strings.Join(sent, ", "))
			return
		}
		failed++
		fmt.Fprintf(stdout, "failed  %s/%s: %v\n", r.BusinessID, r.SessionID, firstLine(r.Err))
	})
	fmt.Fprintf(stdout, "%d dead letter(s) redriven, %d still failing\n", done, failed)
	if err != nil && failed == 0 {
		fmt.Fprintf(stderr, "ahca: %v\n", err) // not about one dead letter: reading them failed
	}
	if err != nil {
		return exitFailed
	}
	return exitOK
}

// redriveConfigs loads the configs from the bucket or the directory.
func redriveConfigs(ctx context.Context, cfg aws.Config, dir, bucket, prefix string, stderr io.Writer) (*business.Set, int) {
	if bucket == "" {
		return loadDir(ctx, dir, stderr)
	}
	reg := business.NewRegistry(business.S3Source{Client: s3.NewFromConfig(cfg), Bucket: bucket, Prefix: prefix}, business.RegistryOptions{})
	set, err := reg.Current(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "ahca: configs in s3://%s/%s: %v\n", bucket, prefix, err)
		return nil, exitFailed
	}
	return set, exitOK
}

func listDeadLetters(ctx context.Context, records delivery.Records, businesses []tenant.ID, stdout, stderr io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BUSINESS\tSESSION\tEMAILS\tREASON\tATTEMPTS\tFAILED\tLAST ERROR")
	n := 0
	code := exitOK
	for _, id := range businesses {
		dls, err := records.DeadLetters(ctx, id)
		if err != nil {
			fmt.Fprintf(stderr, "ahca: %v\n", err)
			code = exitFailed
			continue
		}
		for _, dl := range dls {
			n++
			kinds := make([]string, len(dl.Emails))
			for i, k := range dl.Emails {
				kinds[i] = string(k)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", dl.BusinessID, terminalSafe(dl.SessionID, 64), strings.Join(kinds, ","),
				dl.Reason, dl.Attempts, dl.FailedAt.UTC().Format("2006-01-02 15:04Z"), terminalSafe(dl.LastError, 100))
		}
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d dead letter(s); nothing sent (--dry-run)\n", n)
	return code
}
