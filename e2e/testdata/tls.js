// The extension's TLS follows k6's options: insecureSkipTLSVerify lets it
// reach a registry with a self-signed certificate; without it, TLS_ERROR.
import registry from "k6/x/registry";
import { check } from "k6";

const skip = __ENV.SKIP_VERIFY === "1";

export const options = {
  iterations: 1,
  vus: 1,
  insecureSkipTLSVerify: skip,
  thresholds: { checks: ["rate==1"] },
};

const client = new registry.Client({ url: __ENV.REGISTRY_URL });

export default function () {
  const res = client.ping();
  if (skip) {
    check(res, { "insecureSkipTLSVerify reaches the registry": (r) => r.ok });
  } else {
    check(res, { "an unknown certificate is a TLS error": (r) => !r.ok && r.error.code === "TLS_ERROR" });
  }
}
