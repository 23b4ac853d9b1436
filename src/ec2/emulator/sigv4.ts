/**
 * The region a SigV4-signed request was signed for. The SDK signs with the client's region, and the
 * credential scope (`Credential=AKID/20260101/eu-west-1/ec2/aws4_request`) carries it in clear text,
 * so one emulator can keep separate state per region. Signatures themselves are not verified.
 */
export function regionFromAuthorization(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/[a-z0-9-]+\/aws4_request/.exec(authorization);
  return m?.[1];
}

/** Same, for a presigned URL's `X-Amz-Credential` query value (`AKID/20260101/eu-west-1/ec2/aws4_request`). */
export function regionFromCredentialScope(scope: string | undefined): string | undefined {
  if (!scope) return undefined;
  return /^[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(scope)?.[1];
}
