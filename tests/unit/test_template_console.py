"""template.yaml: the console's production hosting (private S3 bucket, CloudFront with OAC) and its wiring."""

from __future__ import annotations

import re
from typing import Any

from leadrouter_local.template import load_template

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
BUCKET = RESOURCES["ConsoleBucket"]["Properties"]
DISTRIBUTION = RESOURCES["ConsoleDistribution"]["Properties"]["DistributionConfig"]
CONSOLE_ORIGIN = "https://${ConsoleDistribution.DomainName}"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS's managed cache policy


def _names(value: Any) -> set[str]:
    """Logical ids a property refers to: Ref, GetAtt and the ${…} of a Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref":
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0])
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                if not isinstance(item, str):
                    found |= _names(item[1])
            else:
                found |= _names(item)
    elif isinstance(value, list):
        for item in value:
            found |= _names(item)
    return found


def _needs(lid: str) -> set[str]:
    """Every resource ``lid`` depends on, directly or not."""
    seen: set[str] = set()
    todo = [lid]
    while todo:
        resource = RESOURCES[todo.pop()]
        depends = resource.get("DependsOn", [])
        direct = _names(resource.get("Properties", {}))
        direct |= {depends} if isinstance(depends, str) else set(depends)
        for name in direct & RESOURCES.keys() - seen:
            seen.add(name)
            todo.append(name)
    return seen


def test_the_bucket_is_private_encrypted_and_no_website():
    assert RESOURCES["ConsoleBucket"]["Type"] == "AWS::S3::Bucket"
    block = BUCKET["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert BUCKET["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (rule,) = BUCKET["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert "WebsiteConfiguration" not in BUCKET and "AccessControl" not in BUCKET


def test_cloudfront_reads_the_bucket_through_origin_access_control_not_an_oai():
    # Given the one origin of the distribution
    (origin,) = DISTRIBUTION["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["ConsoleBucket", "RegionalDomainName"]}
    # Then it is signed by the OAC (SigV4, always) and names no legacy origin access identity
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    oac = RESOURCES["ConsoleOriginAccessControl"]
    assert oac["Type"] == "AWS::CloudFront::OriginAccessControl"
    config = oac["Properties"]["OriginAccessControlConfig"]
    assert config["OriginAccessControlOriginType"] == "s3"
    assert (config["SigningBehavior"], config["SigningProtocol"]) == ("always", "sigv4")
    types = {r["Type"] for r in RESOURCES.values()}
    assert "AWS::CloudFront::CloudFrontOriginAccessIdentity" not in types


def test_the_bucket_policy_lets_only_this_distribution_read():
    policy = RESOURCES["ConsoleBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "ConsoleBucket"}
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    # One grant: CloudFront's service principal, reading objects, on behalf of this distribution only
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == {"Fn::Sub": "${ConsoleBucket.Arn}/*"}
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert source == {
        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${ConsoleDistribution}"
    }
    # …and plain HTTP is refused to everyone
    (deny,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_distribution_serves_index_html_over_https_only_compressed_and_cached():
    assert DISTRIBUTION["Enabled"] is True
    assert DISTRIBUTION["DefaultRootObject"] == "index.html"
    assert DISTRIBUTION["HttpVersion"] == "http2and3"
    behaviours = [DISTRIBUTION["DefaultCacheBehavior"], *DISTRIBUTION.get("CacheBehaviors", [])]
    assert {b["ViewerProtocolPolicy"] for b in behaviours} == {"redirect-to-https"}
    default = DISTRIBUTION["DefaultCacheBehavior"]
    assert default["Compress"] is True
    assert default["CachePolicyId"] == CACHING_OPTIMIZED
    assert default["AllowedMethods"] == ["GET", "HEAD"]
    assert default["ResponseHeadersPolicyId"] == {"Ref": "ConsoleSecurityHeaders"}
    # The console routes with the URL's hash: no error page turns a missing file into index.html
    assert "CustomErrorResponses" not in DISTRIBUTION
    # Edge locations are a parameter, Asia included by default
    assert DISTRIBUTION["PriceClass"] == {"Ref": "ConsolePriceClass"}
    assert TEMPLATE["Parameters"]["ConsolePriceClass"]["Default"] == "PriceClass_200"


def _csp() -> dict[str, list[str]]:
    headers = RESOURCES["ConsoleSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    joined = headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    separator, parts = joined["Fn::Join"]
    texts = [p if isinstance(p, str) else p["Fn::Sub"] for p in parts]
    directives = [d.split() for d in separator.join(texts).split(";")]
    return {d[0]: d[1:] for d in directives if d}


def test_the_security_headers_policy_sets_hsts_nosniff_no_framing_and_referrer_policy():
    config = RESOURCES["ConsoleSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    assert all(header["Override"] is True for header in security.values())


def test_the_csp_allows_the_api_and_cognito_and_nothing_from_a_cdn():
    csp = _csp()
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["connect-src"] == [
        "'self'",
        "https://*.execute-api.${AWS::Region}.amazonaws.com",
        "https://cognito-idp.${AWS::Region}.amazonaws.com",
        "https://*.s3.${AWS::Region}.amazonaws.com",  # uploads to FilesBucket (presigned POST)
    ]
    # Every other source is the console's own files (or inline data it made itself)
    hosts = {source for sources in csp.values() for source in sources} - set(csp["connect-src"])
    assert hosts <= {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"}
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]  # never in script-src


def test_the_distribution_needs_nothing_that_names_it():
    # Given every resource that names the distribution (the API's CORS, the user pool's client, …)
    naming = {lid for lid, r in RESOURCES.items() if "ConsoleDistribution" in _names(r.get("Properties", {}))}
    assert {"Api", "ApiFunction", "UserPoolClient", "ConsoleBucketPolicy"} <= naming
    # Then the distribution depends on none of them (CloudFormation would refuse the cycle)
    assert not _needs("ConsoleDistribution") & naming
    assert "Api" not in _needs("ConsoleDistribution")


def test_the_admin_apis_cors_and_cognitos_urls_are_the_consoles():
    api = RESOURCES["Api"]["Properties"]
    console, other = {"Fn::Sub": f"'{CONSOLE_ORIGIN}'"}, {"Fn::Sub": "'${AllowedOrigins}'"}
    quoted = {"Fn::If": ["AdminOriginIsConsole", console, other]}  # API Gateway's static values
    plain = {"Fn::If": ["AdminOriginIsConsole", {"Fn::Sub": CONSOLE_ORIGIN}, {"Ref": "AllowedOrigins"}]}
    assert api["Cors"]["AllowOrigin"] == quoted
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        headers = api["GatewayResponses"][kind]["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == quoted
    env = RESOURCES["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert env["ALLOWED_ORIGINS"] == plain
    # The WAF's whole-API 429 is the console's to read; the public doors' 429 any form site may read
    rules = {r["Name"]: r for r in RESOURCES["ApiFirewall"]["Properties"]["Rules"]}

    def waf_origin(name: str) -> Any:
        headers = rules[name]["Action"]["Block"]["CustomResponse"]["ResponseHeaders"]
        return {h["Name"]: h["Value"] for h in headers}["Access-Control-Allow-Origin"]

    assert waf_origin("api-per-ip") == plain
    assert waf_origin("public-door-per-ip") == "*"
    # Cognito may send users back only to the console; sign-in stays SRP (no hosted UI flows)
    client = RESOURCES["UserPoolClient"]["Properties"]
    url = {"Fn::Sub": f"{CONSOLE_ORIGIN}/"}
    assert client["CallbackURLs"] == [url] and client["LogoutURLs"] == [url]
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert "AllowedOAuthFlows" not in client and not client.get("AllowedOAuthFlowsUserPoolClient")


def test_the_outputs_name_the_console_for_its_deploy_step():
    outputs = TEMPLATE["Outputs"]
    assert outputs["ConsoleUrl"]["Value"] == {"Fn::Sub": f"{CONSOLE_ORIGIN}/"}
    assert outputs["ConsoleBucketName"]["Value"] == {"Ref": "ConsoleBucket"}
    assert outputs["ConsoleDistributionId"]["Value"] == {"Ref": "ConsoleDistribution"}
    # …and the settings the console's config.json is written from
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId"} <= outputs.keys()
