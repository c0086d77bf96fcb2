package business

import (
	"context"
	"fmt"
	"sort"
)

// PushPlan is what a configs push does (or, dry, would do).
type PushPlan struct {
	Upload    []string `json:"upload"`    // new or changed files
	Delete    []string `json:"delete"`    // files in the bucket no longer in the tree
	Unchanged int      `json:"unchanged"` // files already up to date
}

// Push publishes the tree in src to dst so that dst mirrors it. It validates
// src first and publishes nothing if it does not validate. Only changed files
// are uploaded (ETag = MD5 under SSE-S3). Business files go first and
// businesses.json last, so a number is routed only once its business exists;
// files removed locally are deleted last. A reader that refreshes mid-push
// may see a mixed tree; the registry keeps its previous Set when a tree does
// not validate, and takes the finished one at its next refresh.
func Push(ctx context.Context, src Source, dst S3Source, dryRun bool) (PushPlan, error) {
	var plan PushPlan
	if _, err := Load(ctx, src); err != nil {
		return plan, fmt.Errorf("refusing to push %s: %w", src.Origin(), err)
	}
	local, err := src.List(ctx)
	if err != nil {
		return plan, err
	}
	remote, err := dst.List(ctx)
	if err != nil {
		return plan, err
	}
	remoteETag := map[string]string{}
	for _, o := range remote {
		if IsPublishedKey(o.Key) {
			remoteETag[o.Key] = o.ETag
		}
	}
	seen := map[string]bool{}
	for _, o := range local {
		if !IsPublishedKey(o.Key) {
			continue
		}
		seen[o.Key] = true
		if remoteETag[o.Key] == o.ETag {
			plan.Unchanged++
			continue
		}
		plan.Upload = append(plan.Upload, o.Key)
	}
	for key := range remoteETag {
		if !seen[key] {
			plan.Delete = append(plan.Delete, key)
		}
	}
	// Index last: it routes numbers to businesses that must already be there.
	sort.SliceStable(plan.Upload, func(i, j int) bool {
		return plan.Upload[j] == IndexFile && plan.Upload[i] != IndexFile
	})
	sort.Strings(plan.Delete)
	if dryRun {
		return plan, nil
	}
	for _, key := range plan.Upload {
		body, _, err := src.Get(ctx, key, "")
		if err != nil {
			return plan, err
		}
		if err := dst.put(ctx, key, body); err != nil {
			return plan, err
		}
	}
	for _, key := range plan.Delete {
		if err := dst.delete(ctx, key); err != nil {
			return plan, err
		}
	}
	return plan, nil
}
