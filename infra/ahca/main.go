// Command ahca is the operator's tool for AHCA: validate, inspect and
// publish business configs (and, as the product grows, more).
//
//	go run ./infra/ahca dev [--addr ADDR] [--store memory|dynamodb --dynamodb-endpoint URL]
//	go run ./infra/ahca chat --business ID [--url ws://127.0.0.1:8080/ws]
//	go run ./infra/ahca configs validate [--dir DIR]
//	go run ./infra/ahca configs show BUSINESS [--dir DIR]
//	go run ./infra/ahca configs push --bucket B [--prefix P] [--dir DIR] [--endpoint URL] [--dry-run]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
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

const usage = `usage: ahca <command> [arguments]

commands:
  dev [--addr 127.0.0.1:8080] [--configs DIR] [--web DIR] [--store memory|dynamodb --dynamodb-endpoint URL]
                                            run the whole product locally (WebSocket gateway emulator, web client)
  chat --business ID [--url ws://127.0.0.1:8080/ws]
                                            talk to a business's agent from the terminal
  call --to NUMBER [--from NUMBER] [--url http://127.0.0.1:8080] [--script FILE] [--dial-outcome completed|no-answer]
                                            simulate Twilio: a signed call through webhooks and ConversationRelay
  knowledge build [--business ID] [--dir configs]          embed knowledge chunks into each business's index (OPENAI_API_KEY)
  knowledge search --business ID [--dir configs] QUERY     top chunks with scores (embeddings when indexed, else BM25)
  transcripts list --business ID [--since 2026-11-01|24h|7d] [--limit N] [--table T --dynamodb-endpoint URL --region R] [--configs DIR]
  transcripts show SESSION --business ID [--json] [same table flags]
                                            an operator's view of a business's conversations
  emails redrive [--business ID] [--dry-run] [table flags] [--configs DIR | --bucket B --prefix P] [--ses-endpoint URL | --outbox DIR]
                                            resend summary emails that landed in the dead-letter records
  configs validate [--dir DIR]              check a configs tree; list businesses, numbers, features
  configs show BUSINESS [--dir DIR]         print a business's effective config as JSON, secrets redacted
  configs push --bucket B [--prefix P] [--dir DIR] [--endpoint URL] [--region R] [--dry-run]
                                            validate, then upload changed files to S3
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) >= 1 && args[0] == "dev" {
		return devCommand(ctx, args[1:], stdout, stderr)
	}
	if len(args) >= 1 && args[0] == "chat" {
		return chatCommand(ctx, args[1:], stdin, stdout, stderr)
	}
	if len(args) >= 1 && args[0] == "call" {
		return callCommand(ctx, args[1:], stdin, stdout, stderr)
	}
	if len(args) >= 1 && args[0] == "knowledge" {
		return knowledgeCommand(ctx, args[1:], stdout, stderr)
	}
	if len(args) >= 1 && args[0] == "transcripts" {
		return transcriptsCommand(ctx, args[1:], stdout, stderr)
	}
	if len(args) >= 1 && args[0] == "emails" {
		return emailsCommand(ctx, args[1:], stdout, stderr)
	}
	if len(args) < 2 || args[0] != "configs" {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[1] {
	case "validate":
		return configsValidate(ctx, args[2:], stdout, stderr)
	case "show":
		return configsShow(ctx, args[2:], stdout, stderr)
	case "push":
		return configsPush(ctx, args[2:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "ahca: unknown command %q\n%s", "configs "+args[1], usage)
		return exitUsage
	}
}
