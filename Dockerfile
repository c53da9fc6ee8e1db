# k6 with the registry extension, on the official k6 image: the runner image
# of a k6 operator TestRun, or a plain container that runs a script.
#
#   docker build -t xk6-registry:dev .
#   docker run --rm -v "$PWD/examples:/scripts" -e REGISTRY_URL=http://registry:5000 xk6-registry:dev run /scripts/pull.js

FROM golang:1.26-bookworm AS build
WORKDIR /src
# xk6 at the version tools/go.mod pins, built before the sources so the
# layer is cached across source changes.
COPY tools/go.mod tools/go.sum tools/
RUN cd tools && go build -o /usr/local/bin/xk6 go.k6.io/xk6/cmd/xk6
COPY . .
ARG K6_VERSION=v2.2.0
RUN CGO_ENABLED=0 xk6 build "$K6_VERSION" --with github.com/xk6-registry/xk6-registry=. --output /k6

FROM grafana/k6:2.2.0
COPY --from=build /k6 /usr/bin/k6
