# k6 with the registry extension, on the official k6 image: the runner image
# of a k6 operator TestRun, or a plain container that runs a script.
#
#   docker build -t xk6-registry:dev .
#   docker run --rm -v "$PWD/examples:/scripts" -e REGISTRY_URL=http://registry:5000 xk6-registry:dev run /scripts/pull.js

# The build stage runs on the builder's platform and cross-compiles k6 for the
# image's (docker buildx --platform linux/amd64,linux/arm64), with no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS=linux
ARG TARGETARCH=amd64
WORKDIR /src
# xk6 at the version tools/go.mod pins, built before the sources so the
# layer is cached across source changes.
COPY tools/go.mod tools/go.sum tools/
RUN cd tools && go build -o /usr/local/bin/xk6 go.k6.io/xk6/cmd/xk6
COPY . .
ARG K6_VERSION=v2.2.0
# The extension: this checkout, or at release the tagged module (MODULE@vX.Y.Z), so k6 reports its version.
ARG XK6_WITH=github.com/xk6-registry/xk6-registry=.
RUN CGO_ENABLED=0 xk6 build "$K6_VERSION" --os "$TARGETOS" --arch "$TARGETARCH" --with "$XK6_WITH" --output /k6

FROM grafana/k6:2.2.0
COPY --from=build /k6 /usr/bin/k6
