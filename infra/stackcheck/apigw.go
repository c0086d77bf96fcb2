package stackcheck

import (
	"slices"
	"strings"
)

// apiGatewayPrincipal is the service principal API Gateway invokes Lambda as.
const apiGatewayPrincipal = "apigateway.amazonaws.com"

// checkAPIGateway checks that routes, integrations, functions and Lambda
// permissions of the API Gateway v2 APIs are wired completely.
func checkAPIGateway(t *Template, ps *problems) {
	for _, r := range t.ofType(typeRoute) {
		target, ok := r.Properties["Target"]
		if !ok || target == nil {
			ps.add(r.LogicalID, RuleRouteIntegration,
				"route has no Target; set Target: !Sub integrations/${<Integration>} for an AWS::ApiGatewayV2::Integration of this template")
			continue
		}
		ints := t.refsOfType(target, typeIntegration)
		if len(ints) == 0 {
			ps.add(r.LogicalID, RuleRouteIntegration,
				"Target does not reference an AWS::ApiGatewayV2::Integration of this template; use !Sub integrations/${<Integration>} or !Join ['/', [integrations, !Ref <Integration>]]")
			continue
		}
		if s := flatText(target); s != "" && !strings.HasPrefix(s, "integrations/") {
			ps.add(r.LogicalID, RuleRouteIntegration, "Target must have the form integrations/<IntegrationId>; got %q", s)
		}
		routeAPI := singleRef(r.Properties["ApiId"])
		for _, in := range ints {
			intAPI := singleRef(t.Resources[in].Properties["ApiId"])
			if routeAPI != "" && intAPI != "" && routeAPI != intAPI {
				ps.add(r.LogicalID, RuleRouteIntegration,
					"route belongs to API %s but its integration %s belongs to API %s", routeAPI, in, intAPI)
			}
		}
	}

	// Every integration must invoke a function of the template; remember
	// which functions sit behind an API.
	var behindAPI []string
	for _, r := range t.ofType(typeIntegration) {
		fns := t.refsOfType(r.Properties["IntegrationUri"], functionTypes...)
		if len(fns) == 0 {
			ps.add(r.LogicalID, RuleIntegrationFunction,
				"IntegrationUri does not reference a Lambda function of this template; use !Sub arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${<Function>.Arn}/invocations (or !GetAtt <Function>.Arn for HTTP APIs)")
		}
		for _, fn := range fns {
			if !slices.Contains(behindAPI, fn) {
				behindAPI = append(behindAPI, fn)
			}
		}
	}

	perms := t.ofType(typeLambdaPermission)
	for _, id := range t.order { // document order of the functions
		if !slices.Contains(behindAPI, id) {
			continue
		}
		var found []Resource
		for _, p := range perms {
			if isAPIGatewayInvoke(p) && slices.Contains(refs(p.Properties["FunctionName"]), id) {
				found = append(found, p)
			}
		}
		if len(found) == 0 {
			ps.add(id, RuleLambdaPermission,
				"function is invoked by an API Gateway integration but has no AWS::Lambda::Permission with Action lambda:InvokeFunction, Principal %s and FunctionName referencing it",
				apiGatewayPrincipal)
			continue
		}
		for _, p := range found {
			if p.Properties["SourceArn"] == nil {
				ps.add(p.LogicalID, RulePermissionSourceArn,
					"permission for %s has no SourceArn; scope it to the API, e.g. !Sub arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${<Api>}/*",
					id)
			}
		}
	}
}

// isAPIGatewayInvoke reports whether permission p lets API Gateway invoke a
// function.
func isAPIGatewayInvoke(p Resource) bool {
	if getString(p.Properties, "Principal") != apiGatewayPrincipal {
		return false
	}
	action, ok := p.Properties["Action"].(string)
	return !ok || strings.EqualFold(action, "lambda:InvokeFunction")
}

// singleRef returns x for {"Ref": x} or {"Fn::GetAtt": [x, ...]}, else "".
func singleRef(v any) string {
	switch intrinsicName(v) {
	case "Ref", "Fn::GetAtt":
		if ids := refs(v); len(ids) == 1 {
			return ids[0]
		}
	}
	return ""
}
