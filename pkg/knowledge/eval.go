package knowledge

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// EvalCase is one question of an evaluation set and the section ids that
// answer it.
type EvalCase struct {
	Question string   `json:"question"`
	Expect   []string `json:"expect"`
}

// ReadEvalFile reads an evaluation set: a JSON array of EvalCase.
func ReadEvalFile(name string) ([]EvalCase, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var cases []EvalCase
	if err := json.Unmarshal(data, &cases); err != nil {
		return nil, fmt.Errorf("%s: %w", name, describeJSONError(data, err))
	}
	for i, c := range cases {
		if c.Question == "" || len(c.Expect) == 0 {
			return nil, fmt.Errorf("%s: case %d needs a question and at least one expected section id", name, i)
		}
	}
	return cases, nil
}

// Recall returns recall@k of search over cases: the share of questions for
// which one of the k first results is from an expected section; misses
// lists the questions that found none.
func Recall(cases []EvalCase, k int, search func(q string, k int) []Result) (recall float64, misses []string) {
	if len(cases) == 0 {
		return 0, nil
	}
	hits := 0
	for _, c := range cases {
		found := false
		for _, r := range search(c.Question, k) {
			if slices.Contains(c.Expect, r.Chunk.SectionID) {
				found = true
				break
			}
		}
		if found {
			hits++
		} else {
			misses = append(misses, c.Question)
		}
	}
	return float64(hits) / float64(len(cases)), misses
}
