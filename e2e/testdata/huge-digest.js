// A blob far too large to digest in the test's time: the digest pass must
// stop when the test ends.
import registry from "k6/x/registry";

export const options = {
  scenarios: { huge: { executor: "constant-vus", vus: 1, duration: "3s", gracefulStop: "2s" } },
};

export default function () {
  registry.blob({ size: "4000TiB" }).digest;
}
