// Command ahca is the operator's tool for AHCA: run the product locally,
// talk to it, and validate, inspect and publish business configs.
//
//	go run ./infra/ahca help             every command, one line each
//	go run ./infra/ahca help <command>   a command's usage and flags
//
// The commands are the table below; the overview, each command's help and
// the flag checks are all built from it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitInvalid = 1 // the input was checked and is wrong
	exitUsage   = 2 // the command line is wrong
	exitFailed  = 3 // something outside the input failed (I/O, AWS)
)

// commands is every command, in the order the overview lists them.
var commands = []*command{
	{name: "dev", setup: devSetup, about: devAbout,
		summary: "run the whole product locally (WebSocket gateway emulator, Twilio webhooks, web client)"},
	{name: "chat", required: []string{"business"}, setup: chatSetup,
		summary: "talk to a business's agent from the terminal"},
	{name: "call", required: []string{"to"}, setup: callSetup, about: callAbout,
		summary: "simulate Twilio: a signed call through the webhooks and ConversationRelay"},
	{name: "load", setup: loadSetup, about: loadAbout,
		summary: "drive many simultaneous web and phone conversations; turn latency, lost turns, store calls"},
	{name: "cost", required: []string{"load"}, setup: costSetup, about: costAbout,
		summary: "price a load run per call-minute of a typical call (AWS; model and Twilio apart)"},
	{name: "knowledge build", setup: knowledgeBuildSetup, about: knowledgeBuildAbout,
		summary: "embed knowledge chunks into each business's index (OPENAI_API_KEY)"},
	{name: "knowledge search", args: "QUERY...", required: []string{"business"}, setup: knowledgeSearchSetup,
		summary: "top chunks for a query, with scores (embeddings when indexed, else BM25)"},
	{name: "transcripts list", required: []string{"business"}, setup: transcriptsListSetup, about: transcriptsAbout,
		summary: "a business's conversations, newest first"},
	{name: "transcripts show", args: "SESSION", required: []string{"business"}, setup: transcriptsShowSetup, about: transcriptsAbout,
		summary: "one conversation: caller, outcome, summary and every turn"},
	{name: "emails redrive", setup: emailsRedriveSetup, about: emailsAbout,
		summary: "resend the summary emails that landed in the dead letters"},
	{name: "configs validate", setup: configsValidateSetup,
		summary: "check a configs tree; list businesses, numbers, features"},
	{name: "configs show", args: "BUSINESS", setup: configsShowSetup,
		summary: "print a business's effective config as JSON, secrets redacted"},
	{name: "configs push", required: []string{"bucket"}, setup: configsPushSetup,
		summary: "validate, then upload the changed files to S3"},
}

// run is the command line: it finds the command and runs it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		writeOverview(stderr)
		return exitUsage
	}
	if args[0] == "help" || isHelpFlag(args[0]) {
		return help(args[1:], stdout, stderr)
	}
	cmd, group := lookup(args)
	switch {
	case cmd != nil:
		return cmd.run(ctx, args[len(cmd.words()):], stdin, stdout, stderr)
	case group == "":
		fmt.Fprintf(stderr, "ahca: unknown command %q\n", args[0])
		writeOverview(stderr)
	case len(args) == 1:
		fmt.Fprintf(stderr, "ahca %s: which command?\n", group)
		writeGroupUsage(stderr, group)
	case isHelpFlag(args[1]):
		writeGroupUsage(stdout, group)
		return exitOK
	default:
		fmt.Fprintf(stderr, "ahca: unknown command %q\n", group+" "+args[1])
		writeGroupUsage(stderr, group)
	}
	return exitUsage
}

// help is `ahca help [command]`.
func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		writeOverview(stdout)
		return exitOK
	}
	cmd, group := lookup(args)
	switch {
	case cmd != nil && len(args) == len(cmd.words()):
		cmd.writeUsage(stdout, cmd.flags())
		return exitOK
	case cmd == nil && group != "" && len(args) == 1:
		writeGroupUsage(stdout, group)
		return exitOK
	}
	fmt.Fprintf(stderr, "ahca help: unknown command %q\n", strings.Join(args, " "))
	writeOverview(stderr)
	return exitUsage
}
