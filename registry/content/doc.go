// Package content makes the blobs and images a load test pushes: generated
// images whose bytes are a pure function of a seed, random or literal blobs,
// and images loaded from a docker save tarball or an OCI image layout. Every
// source streams its bytes on each Open; none holds a blob whole.
package content
