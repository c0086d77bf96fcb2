package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ahca/ahca/infra/stackcheck"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/tenant"
)

// loadDir loads and validates a tree, printing every problem on failure.
func loadDir(ctx context.Context, dir string, stderr io.Writer) (*business.Set, int) {
	set, err := business.Load(ctx, business.DirSource{Dir: dir})
	if err == nil {
		return set, exitOK
	}
	var ps business.Problems
	if errors.As(err, &ps) {
		fmt.Fprintf(stderr, "%s: %d problem(s):\n", dir, len(ps))
		for _, p := range ps {
			fmt.Fprintf(stderr, "  %s\n", p.Error())
		}
		return nil, exitInvalid
	}
	fmt.Fprintf(stderr, "ahca: %v\n", err)
	return nil, exitFailed
}

func configsValidateSetup(fs *flag.FlagSet) action {
	dir := fs.String("dir", "configs", "configs tree `dir`ectory to validate")
	verbose := fs.Bool("v", false, "also list every ignored field")
	stage := fs.String("stage", "", "also report every setting this `stage`'s deployed functions could not resolve (exit 1 if any)")
	tmpl := fs.String("template", "template.yaml", "SAM `template` the stage is deployed from (with --stage)")
	samcfg := fs.String("samconfig", "samconfig.toml", "SAM config `file` with the stage's parameters (with --stage)")
	strict := fs.Bool("strict", false, "exit 1 when an enabled feature's ${…} reference does not resolve in this environment (otherwise a warning)")
	return func(ctx context.Context, inv *invocation) int {
		code := configsValidate(ctx, inv.stdout, inv.stderr, *dir, *verbose, *strict)
		if code != exitOK || *stage == "" {
			return code
		}
		return configsValidateStage(ctx, inv.stdout, inv.stderr, *dir, *stage, *tmpl, *samcfg)
	}
}

// configsValidateStage checks the tree against a stage's deployment: what
// template.yaml grants each function and sets in its environment, with the
// stage's samconfig.toml parameters (infra/stackcheck).
func configsValidateStage(ctx context.Context, stdout, stderr io.Writer, dir, stage, tmplPath, samPath string) int {
	set, code := loadDir(ctx, dir, stderr)
	if set == nil {
		return code
	}
	tmpl, err := stackcheck.Load(tmplPath)
	if err != nil {
		fmt.Fprintf(stderr, "ahca: %v\n", err)
		return exitFailed
	}
	region, overrides, err := stackcheck.LoadSamconfig(samPath, stage)
	if err != nil {
		fmt.Fprintf(stderr, "ahca: %v\n", err)
		return exitFailed
	}
	st, err := stackcheck.EvaluateStage(tmpl, stackcheck.StageParams{Stage: stage, Region: region, Overrides: overrides})
	if err != nil {
		fmt.Fprintf(stderr, "ahca: %s: %v\n", tmplPath, err)
		return exitFailed
	}
	findings := st.CheckBusinesses(set, dir)
	fmt.Fprintf(stdout, "stage %s (%s, %s [%s.deploy.parameters], region %s):\n", stage, tmplPath, samPath, stage, st.Params.Region)
	byBusiness := map[string][]stackcheck.Finding{}
	for _, f := range findings {
		byBusiness[f.Business] = append(byBusiness[f.Business], f)
	}
	for _, id := range set.IDs() {
		fs := byBusiness[string(id)]
		if len(fs) == 0 {
			fmt.Fprintf(stdout, "  %s: ok\n", id)
			continue
		}
		features := map[string]bool{}
		var names []string
		for _, f := range fs {
			if !features[f.Feature] {
				features[f.Feature] = true
				names = append(names, f.Feature)
			}
		}
		fmt.Fprintf(stdout, "  %s: %d problem(s); would fail: %s\n", id, len(fs), strings.Join(names, ", "))
		for _, f := range fs {
			fmt.Fprintf(stdout, "    %s\n", f)
		}
	}
	if params := st.ParametersToCreate(set); len(params) > 0 {
		fmt.Fprintf(stdout, "the businesses' references in %s (create them; see docs/operations.md#secrets):\n", stage)
		for _, p := range params {
			fmt.Fprintf(stdout, "  %s\n", p)
		}
	}
	if len(findings) > 0 {
		fmt.Fprintf(stdout, "%d setting(s) would fail in stage %s\n", len(findings), stage)
		return exitInvalid
	}
	fmt.Fprintf(stdout, "ok: every business's settings resolve in stage %s\n", stage)
	return exitOK
}

func configsValidate(ctx context.Context, stdout, stderr io.Writer, dir string, verbose, strict bool) int {
	set, code := loadDir(ctx, dir, stderr)
	if set == nil {
		return code
	}
	numbers := map[tenant.ID][]string{}
	for n, id := range set.Numbers() {
		numbers[id] = append(numbers[id], n)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BUSINESS\tNAME\tSHAPE\tNUMBERS\tFEATURES\tEMAIL")
	for _, id := range set.IDs() {
		b, _ := set.Business(id)
		nums := append([]string(nil), numbers[id]...)
		slices.Sort(nums)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", id, b.Name, b.Shape, orDash(strings.Join(nums, " ")), orDash(strings.Join(featureNames(b.Features), ",")), b.Email.Provider)
	}
	tw.Flush()
	for _, w := range set.Warnings() {
		fmt.Fprintf(stdout, "warning: %s\n", w.Error())
	}
	// What make dev or ahca call would fail on at first use (a live
	// emergency call), named here instead.
	unresolved := set.UnresolvedRefs(os.LookupEnv)
	for _, u := range unresolved {
		fmt.Fprintf(stdout, "warning: %s\n", u)
	}
	if ig := set.Ignored(); len(ig) > 0 {
		if verbose {
			for _, i := range ig {
				fmt.Fprintf(stdout, "ignored: %s\n", i)
			}
		} else {
			fmt.Fprintf(stdout, "%d field(s) are kept but not used by AHCA (-v lists them)\n", len(ig))
		}
	}
	if strict && len(unresolved) > 0 {
		fmt.Fprintf(stderr, "ahca: %d reference(s) of enabled features do not resolve in this environment (--strict)\n", len(unresolved))
		return exitInvalid
	}
	fmt.Fprintf(stdout, "ok: %d business(es) in %s\n", len(set.IDs()), dir)
	return exitOK
}

func featureNames(f business.Features) []string {
	var out []string
	for _, x := range []struct {
		on   bool
		name string
	}{
		{f.BasicInfoCollection, "intake"}, {f.EmergencyCallHandling, "emergency"}, {f.AppointmentBooking, "booking"},
		{f.RAG, "knowledge"}, {f.CallForwarding, "staff-routing"}, {f.VoicemailHandling, "voicemail"},
		{f.OnlyAnswerDuringBusinessHours, "hours-gate"}, {f.AfterHoursGreeting, "after-hours"}, {f.EmailSummary, "email"},
	} {
		if x.on {
			out = append(out, x.name)
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func configsShowSetup(fs *flag.FlagSet) action {
	dir := fs.String("dir", "configs", "configs tree `dir`ectory")
	origin := fs.String("web-origin", "", "the stack's web `origin` for the widget snippet (default: $WEB_ORIGIN)")
	return func(ctx context.Context, inv *invocation) int { return configsShow(ctx, inv, *dir, *origin) }
}

// configsShow prints the config as JSON on stdout and the business's widget
// snippet on stderr, so that stdout stays JSON for jq.
func configsShow(ctx context.Context, inv *invocation, dir, origin string) int {
	stdout, stderr := inv.stdout, inv.stderr
	set, code := loadDir(ctx, dir, stderr)
	if set == nil {
		return code
	}
	b, err := set.Business(tenant.ID(inv.args[0]))
	if err != nil {
		fmt.Fprintf(stderr, "ahca: %v (businesses in %s: %v)\n", err, dir, set.IDs())
		return exitInvalid
	}
	raw, err := json.Marshal(b)
	if err != nil {
		fmt.Fprintf(stderr, "ahca: %v\n", err)
		return exitFailed
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		fmt.Fprintf(stderr, "ahca: %v\n", err)
		return exitFailed
	}
	out, _ := json.MarshalIndent(redact(doc, ""), "", "  ")
	fmt.Fprintln(stdout, string(out))
	fmt.Fprintf(stderr, "web chat snippet for %s's site: %s\n", b.ID, b.WidgetSnippet(webOrigin(origin)))
	return exitOK
}

// redact replaces the value of every secret field that is not a reference.
// Validation refuses plain-text secrets, so this is a second line of
// defence, covering the fields kept verbatim too.
func redact(v any, key string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = redact(x, k)
		}
	case []any:
		for i, x := range t {
			t[i] = redact(x, key)
		}
	case string:
		if secret.IsSecretField(key) && t != "" && !secret.Value(t).IsRef() {
			return secret.Value(t).Redacted()
		}
	}
	return v
}

// pushFlags are the flags of configs push.
type pushFlags struct {
	dir, bucket, prefix, endpoint, region string
	dry                                   bool
}

func configsPushSetup(fs *flag.FlagSet) action {
	var f pushFlags
	fs.StringVar(&f.dir, "dir", "configs", "configs tree `dir`ectory to publish")
	fs.StringVar(&f.bucket, "bucket", "", "S3 `bucket` (the stack's ConfigBucket output)")
	fs.StringVar(&f.prefix, "prefix", "", "key `prefix` inside the bucket")
	fs.StringVar(&f.endpoint, "endpoint", "", "S3 endpoint `URL` (for an emulator)")
	fs.StringVar(&f.region, "region", "", "AWS `region` (default: from the environment)")
	fs.BoolVar(&f.dry, "dry-run", false, "print what would change, change nothing")
	return func(ctx context.Context, inv *invocation) int { return configsPush(ctx, inv.stdout, inv.stderr, f) }
}

func configsPush(ctx context.Context, stdout, stderr io.Writer, f pushFlags) int {
	src := business.DirSource{Dir: f.dir}
	if _, code := loadDir(ctx, f.dir, stderr); code != exitOK {
		fmt.Fprintln(stderr, "ahca: nothing pushed: fix the problems above first")
		return code
	}
	cfg, err := defaultAWSConfig(ctx, f.region)
	if errors.Is(err, errNoCredentials) {
		fmt.Fprintf(stderr, "ahca configs push: %v — log in first (aws sso login, AWS_PROFILE)\n", err)
		return exitFailed
	}
	if err != nil {
		fmt.Fprintf(stderr, "ahca: %v\n", err)
		return exitFailed
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if f.endpoint != "" {
			o.BaseEndpoint = aws.String(f.endpoint)
			o.UsePathStyle = true
		}
	})
	plan, err := business.Push(ctx, src, business.S3Source{Client: client, Bucket: f.bucket, Prefix: f.prefix}, f.dry)
	if err != nil {
		fmt.Fprintf(stderr, "ahca: %v\n", err)
		return exitFailed
	}
	verb := map[bool]string{true: "would ", false: ""}[f.dry]
	for _, k := range plan.Upload {
		fmt.Fprintf(stdout, "%supload %s\n", verb, k)
	}
	for _, k := range plan.Delete {
		fmt.Fprintf(stdout, "%sdelete %s\n", verb, k)
	}
	fmt.Fprintf(stdout, "%d to upload, %d to delete, %d unchanged (%s → s3://%s/%s)\n", len(plan.Upload), len(plan.Delete), plan.Unchanged, f.dir, f.bucket, f.prefix)
	return exitOK
}
