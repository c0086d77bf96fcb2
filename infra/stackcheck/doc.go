// Package stackcheck checks invariants of the AHCA SAM template
// (template.yaml at the repository root) that must keep holding as the
// template grows: function build conventions, least-privilege IAM, complete
// API Gateway v2 wiring, and the storage settings of the foundation stack.
//
// Use it as
//
//	t, err := stackcheck.Load("template.yaml")
//	...
//	for _, p := range stackcheck.Check(t, stackcheck.Options{Root: "."}) {
//		fmt.Println(p)
//	}
//
// TestRepositoryTemplate runs exactly that against the real template, so
// `go test ./infra/stackcheck/` fails as soon as the template breaks a rule.
//
// # Parsing
//
// The template is parsed with gopkg.in/yaml.v3 at the yaml.Node level and
// converted to plain Go values (map[string]any, []any, string, bool, int,
// float64, nil). CloudFormation short-form tags are rewritten to their long
// form on the way ({"Ref": x}, {"Fn::GetAtt": [a, b]}, {"Fn::Sub": ...}, ...),
// and the string form of a long-form Fn::GetAtt ("A.B") is split into a
// list, so every check sees one representation.
//
// goformation (github.com/awslabs/goformation/v7) was not used on purpose:
// it unmarshals into fixed Go types, which cannot represent the mixed shapes
// SAM allows (Policies as a string, a list of managed policy names, SAM
// policy template objects and inline documents at the same time; CodeUri as
// a string or an object), it would need a typed model of every resource we
// ever add, and it resolves/strips intrinsics that these checks need to see
// (e.g. which integration a route's Target references). The checks here only
// need a faithful generic tree, which yaml.v3 gives directly with one
// well-known dependency.
//
// # Rules
//
// Functions (AWS::Serverless::Function, AWS::Lambda::Function):
//
//   - [RuleFunctionName]: the logical id is <Name>Function; the source
//     directory is functions/<kebab-case Name> (see [FunctionDir]).
//   - [RuleBuildMethod]: Metadata.BuildMethod is "makefile".
//   - [RuleCodeURI]: CodeUri (Code for AWS::Lambda::Function) is "." - the
//     repository root, where the Makefile lives. A CodeUri in
//     Globals.Function counts for serverless functions.
//   - [RuleFunctionSource]: functions/<dir>/main.go exists under Options.Root.
//   - [RuleMakefileTarget]: the Makefile under Options.Root has a
//     build-<LogicalId> target (what `sam build` runs for BuildMethod
//     makefile); a GNU make pattern rule such as build-%Function counts.
//
// IAM, in every Allow statement of SAM Policies (serverless functions and
// state machines) and of AWS::IAM::Role/User/Group/Policy/ManagedPolicy/
// RolePolicy/UserPolicy/GroupPolicy:
//
//   - [RuleWildcardAction]: no Action "*" or "<service>:*", no NotAction.
//   - [RuleWildcardResource]: no Resource "*" (nor NotResource) unless every
//     action of the statement is in [ResourceStarActions], the short list of
//     actions AWS only authorizes on "*".
//   - [RuleBroadManagedPolicy]: no broad AWS managed policy (see
//     [BroadManagedPolicy]) by name or ARN.
//   - [RuleBroadPolicyTemplate]: no SAM policy template whose scope parameter
//     is missing, empty or "*", nor an inherently unscoped full-access
//     template (e.g. TextractPolicy).
//
// API Gateway v2:
//
//   - [RuleRouteIntegration]: every AWS::ApiGatewayV2::Route has a Target
//     referencing an AWS::ApiGatewayV2::Integration of the template (via
//     !Join ['/', [integrations, !Ref X]] or !Sub integrations/${X}), on the
//     same API when both ApiIds are references.
//   - [RuleIntegrationFunction]: every integration's IntegrationUri
//     references a Lambda function of the template.
//   - [RuleLambdaPermission]: every function behind an integration has an
//     AWS::Lambda::Permission for apigateway.amazonaws.com whose FunctionName
//     references it.
//   - [RulePermissionSourceArn]: that permission has a SourceArn, so no other
//     API can invoke the function.
//
// Storage (every AWS::DynamoDB::Table / AWS::S3::Bucket; the stack is
// single-table, so a new table has to meet the same bar or change this
// package deliberately):
//
//   - [RuleTableTTL], [RuleTableStream], [RuleTablePITR]: TTL enabled
//     (on "expiresAt" for AppTable), stream NEW_AND_OLD_IMAGES, PITR enabled.
//   - [RuleBucketVersioning], [RuleBucketEncryption] (SSE-S3/AES256 for
//     ConfigBucket), [RuleBucketPublicAccess] (all four settings true),
//     [RuleBucketOwnership] (BucketOwnerEnforced), [RuleBucketTLS] (a bucket
//     policy denying aws:SecureTransport false).
//   - [RuleRetain]: DeletionPolicy and UpdateReplacePolicy are Retain.
//
// Operations ([CheckOperations], applied to the repository's template):
// [RuleLogRetention], [RuleFunctionAlarms], [RuleAlarmActions],
// [RuleReservedConcurrency], [RuleAccessLogs].
//
// # Stages
//
// [EvaluateStage] evaluates the template for one stage (parameters from
// samconfig.toml, see [LoadSamconfig]) into what each function may read
// and send as; [Stage.CheckBusinesses] reports every business setting the
// stage's functions could not resolve (`ahca configs validate --stage`).
package stackcheck
