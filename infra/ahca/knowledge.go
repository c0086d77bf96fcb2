package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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

const knowledgeBuildAbout = `Embeds each business's knowledge chunks (configs/businesses/<id>/knowledge) into its index file;
unchanged chunks are skipped by hash. Needs OPENAI_API_KEY; without an index, search uses BM25.
`

func knowledgeBuildSetup(fs *flag.FlagSet) action {
	dir := fs.String("dir", "configs", "configs tree `dir`ectory")
	biz := fs.String("business", "", "only the business with this `ID` (default: every business with knowledge)")
	return func(ctx context.Context, inv *invocation) int { return knowledgeBuild(ctx, inv, *dir, *biz) }
}

func knowledgeSearchSetup(fs *flag.FlagSet) action {
	dir := fs.String("dir", "configs", "configs tree `dir`ectory")
	biz := fs.String("business", "", "business `ID`")
	k := fs.Int("k", 3, "`n`umber of results to print")
	return func(ctx context.Context, inv *invocation) int {
		return knowledgeSearch(ctx, inv, *dir, tenant.ID(*biz), strings.Join(inv.args, " "), *k)
	}
}

// knowledgeSearch prints the top chunks for a query.
func knowledgeSearch(ctx context.Context, inv *invocation, dir string, biz tenant.ID, query string, k int) int {
	s, err := knowledge.OpenDir(knowledgeDir(dir, biz), biz, embedderFromEnv())
	if err != nil {
		return inv.failf(exitFailed, "%v", err)
	}
	res, err := s.Search(ctx, query, k)
	var fb *knowledge.FallbackError
	if err != nil && !errors.As(err, &fb) {
		return inv.failf(exitFailed, "%v", err)
	}
	mode, why := s.Mode()
	fmt.Fprintf(inv.stdout, "search: %s (%s)\n", mode, why)
	for i, r := range res {
		fmt.Fprintf(inv.stdout, "%d. %.3f  %s  (%s)\n   %s\n", i+1, r.Score, r.Chunk.SectionID, r.Chunk.Source, oneLine(r.Chunk.Text, 160))
	}
	if len(res) == 0 {
		fmt.Fprintln(inv.stdout, "no match")
	}
	return exitOK
}

// knowledgeBuild embeds each business's chunks into its index file.
func knowledgeBuild(ctx context.Context, inv *invocation, dir, biz string) int {
	emb := embedderFromEnv()
	if emb == nil {
		return inv.failf(exitUsage, "set OPENAI_API_KEY (embeddings); without an index, search uses BM25")
	}
	ids := []tenant.ID{tenant.ID(biz)}
	if biz == "" {
		set, code := loadDir(ctx, dir, inv.stderr)
		if set == nil {
			return code
		}
		ids = nil
		for _, id := range set.IDs() {
			if _, err := os.Stat(knowledgeDir(dir, id)); err == nil {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range ids {
		d := knowledgeDir(dir, id)
		chunks, err := knowledge.LoadDir(d, id)
		if err != nil {
			return inv.failf(exitInvalid, "%v", err)
		}
		prev, _ := knowledge.ReadIndexFile(filepath.Join(d, knowledge.IndexFileName))
		fmt.Fprintf(inv.stdout, "%s: %d chunks, embedding…\n", id, len(chunks))
		idx, err := knowledge.Build(ctx, chunks, emb, prev)
		if err != nil {
			return inv.failf(exitFailed, "%s: %v", id, err)
		}
		if err := idx.WriteFile(filepath.Join(d, knowledge.IndexFileName)); err != nil {
			return inv.failf(exitFailed, "%v", err)
		}
		fmt.Fprintf(inv.stdout, "%s: %d embedded, %d unchanged → %s\n", id, idx.Embedded, idx.Reused, filepath.Join(d, knowledge.IndexFileName))
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
