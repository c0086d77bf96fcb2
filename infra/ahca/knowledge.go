package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ahca/ahca/pkg/knowledge"
	"github.com/ahca/ahca/pkg/tenant"
)

// knowledgeDir is where a business's knowledge lives in a configs tree.
func knowledgeDir(configs string, biz tenant.ID) string {
	return filepath.Join(configs, "businesses", string(biz), "knowledge")
}

// embedderFromEnv returns OpenAI embeddings when OPENAI_API_KEY is set.
func embedderFromEnv() knowledge.Embedder {
	if key := os.Getenv("OPENAI_API_KEY"); key != "" {
		return &knowledge.OpenAIEmbedder{APIKey: key, BaseURL: os.Getenv("OPENAI_BASE_URL"), ModelID: os.Getenv("OPENAI_EMBEDDING_MODEL")}
	}
	return nil
}

// knowledgeCommand: `knowledge build` embeds each business's chunks into its
// index file (unchanged chunks are skipped by hash); `knowledge search`
// prints the top chunks for a query.
func knowledgeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "build" && args[0] != "search") {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	fs := flag.NewFlagSet("knowledge "+args[0], flag.ContinueOnError)
	dir := fs.String("dir", "configs", "configs tree")
	biz := fs.String("business", "", "business id (build: default every business with knowledge)")
	k := fs.Int("k", 3, "results to print")
	pos, ok := parseFlags(fs, args[1:], stderr)
	if !ok {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	emb := embedderFromEnv()
	if args[0] == "search" {
		if *biz == "" || len(pos) == 0 {
			fmt.Fprintln(stderr, "ahca knowledge search: --business and a QUERY are required")
			return exitUsage
		}
		s, err := knowledge.OpenDir(knowledgeDir(*dir, tenant.ID(*biz)), tenant.ID(*biz), emb)
		if err != nil {
			fmt.Fprintf(stderr, "ahca knowledge search: %v\n", err)
			return exitFailed
		}
		res, err := s.Search(ctx, strings.Join(pos, " "), *k)
		var fb *knowledge.FallbackError
		if err != nil && !errors.As(err, &fb) {
			fmt.Fprintf(stderr, "ahca knowledge search: %v\n", err)
			return exitFailed
		}
		mode, why := s.Mode()
		fmt.Fprintf(stdout, "search: %s (%s)\n", mode, why)
		for i, r := range res {
			fmt.Fprintf(stdout, "%d. %.3f  %s  (%s)\n   %s\n", i+1, r.Score, r.Chunk.SectionID, r.Chunk.Source, oneLine(r.Chunk.Text, 160))
		}
		if len(res) == 0 {
			fmt.Fprintln(stdout, "no match")
		}
		return exitOK
	}
	if emb == nil {
		fmt.Fprintln(stderr, "ahca knowledge build: set OPENAI_API_KEY (embeddings); without an index, search uses BM25")
		return exitUsage
	}
	ids := []tenant.ID{tenant.ID(*biz)}
	if *biz == "" {
		set, code := loadDir(ctx, *dir, stderr)
		if set == nil {
			return code
		}
		ids = nil
		for _, id := range set.IDs() {
			if _, err := os.Stat(knowledgeDir(*dir, id)); err == nil {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range ids {
		d := knowledgeDir(*dir, id)
		chunks, err := knowledge.LoadDir(d, id)
		if err != nil {
			fmt.Fprintf(stderr, "ahca knowledge build: %v\n", err)
			return exitInvalid
		}
		prev, _ := knowledge.ReadIndexFile(filepath.Join(d, knowledge.IndexFileName))
		fmt.Fprintf(stdout, "%s: %d chunks, embedding…\n", id, len(chunks))
		idx, err := knowledge.Build(ctx, chunks, emb, prev)
		if err != nil {
			fmt.Fprintf(stderr, "ahca knowledge build: %s: %v\n", id, err)
			return exitFailed
		}
		if err := idx.WriteFile(filepath.Join(d, knowledge.IndexFileName)); err != nil {
			fmt.Fprintf(stderr, "ahca knowledge build: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "%s: %d embedded, %d unchanged → %s\n", id, idx.Embedded, idx.Reused, filepath.Join(d, knowledge.IndexFileName))
	}
	return exitOK
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
