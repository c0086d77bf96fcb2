package stackcheck

import "slices"

// checkStorage keeps the foundation's table and bucket settings from
// regressing.
func checkStorage(t *Template, ps *problems) {
	for _, r := range t.ofType(typeTable, typeBucket) {
		if r.Type == typeTable {
			checkTable(r, ps)
		} else {
			checkBucket(t, r, ps)
		}
		if !isRetain(r.DeletionPolicy) || !isRetain(r.UpdateReplacePolicy) {
			ps.add(r.LogicalID, RuleRetain,
				"DeletionPolicy and UpdateReplacePolicy must both be Retain (got %q and %q); a stack delete or replacement must never drop tenant data",
				r.DeletionPolicy, r.UpdateReplacePolicy)
		}
	}
}

func isRetain(p string) bool { return p == "Retain" || p == "RetainExceptOnCreate" }

func checkTable(r Resource, ps *problems) {
	id, p := r.LogicalID, r.Properties

	ttl := get(p, "TimeToLiveSpecification")
	attr := getString(ttl, "AttributeName")
	switch {
	case !isTrue(get(ttl, "Enabled")) || attr == "":
		ps.add(id, RuleTableTTL, "TimeToLiveSpecification must be enabled with an AttributeName")
	case id == AppTableID && attr != TTLAttribute:
		ps.add(id, RuleTableTTL, "the TTL attribute is %q; the code writes expiry times to %q", attr, TTLAttribute)
	}

	if v := getString(p, "StreamSpecification", "StreamViewType"); v != "NEW_AND_OLD_IMAGES" {
		ps.add(id, RuleTableStream,
			"StreamSpecification.StreamViewType is %q; want NEW_AND_OLD_IMAGES (the stream consumers need both images)", v)
	}

	if !isTrue(get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled")) {
		ps.add(id, RuleTablePITR, "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled must be true")
	}
}

func checkBucket(t *Template, r Resource, ps *problems) {
	id, p := r.LogicalID, r.Properties

	if v := getString(p, "VersioningConfiguration", "Status"); v != "Enabled" {
		ps.add(id, RuleBucketVersioning, "VersioningConfiguration.Status is %q; want Enabled", v)
	}

	var algs []string
	for _, rule := range list(get(p, "BucketEncryption", "ServerSideEncryptionConfiguration")) {
		if a := getString(rule, "ServerSideEncryptionByDefault", "SSEAlgorithm"); a != "" {
			algs = append(algs, a)
		}
	}
	switch {
	case len(algs) == 0:
		ps.add(id, RuleBucketEncryption,
			"BucketEncryption must set ServerSideEncryptionByDefault.SSEAlgorithm explicitly")
	case id == ConfigBucketID && slices.ContainsFunc(algs, func(a string) bool { return a != "AES256" }):
		ps.add(id, RuleBucketEncryption,
			"SSEAlgorithm must be AES256 (SSE-S3): the configs push compares local MD5s with S3 ETags, which equal the MD5 only under SSE-S3")
	}

	pab := get(p, "PublicAccessBlockConfiguration")
	var missing []string
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if !isTrue(get(pab, k)) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		ps.add(id, RuleBucketPublicAccess, "PublicAccessBlockConfiguration must set all four settings to true; not true: %v", missing)
	}

	owned := false
	for _, rule := range list(get(p, "OwnershipControls", "Rules")) {
		if getString(rule, "ObjectOwnership") == "BucketOwnerEnforced" {
			owned = true
		}
	}
	if !owned {
		ps.add(id, RuleBucketOwnership, "OwnershipControls must set ObjectOwnership BucketOwnerEnforced (ACLs disabled)")
	}

	if !hasTLSOnlyPolicy(t, id) {
		ps.add(id, RuleBucketTLS,
			"no AWS::S3::BucketPolicy for this bucket denies s3:* when aws:SecureTransport is false")
	}
}

// hasTLSOnlyPolicy reports whether a bucket policy of the template denies
// every S3 action on bucket id to requests without TLS.
func hasTLSOnlyPolicy(t *Template, id string) bool {
	for _, bp := range t.ofType(typeBucketPolicy) {
		if !slices.Contains(refs(bp.Properties["Bucket"]), id) {
			continue
		}
		for _, st := range list(get(bp.Properties, "PolicyDocument", "Statement")) {
			if getString(st, "Effect") != "Deny" || !isFalse(get(st, "Condition", "Bool", "aws:SecureTransport")) {
				continue
			}
			acts := stringsOf(get(st, "Action"))
			if slices.Contains(acts, "s3:*") || slices.Contains(acts, "*") {
				return true
			}
		}
	}
	return false
}
