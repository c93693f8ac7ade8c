// Command referrers-registry serves go-containerregistry's registry with the OCI 1.1
// referrers API switched on (crane's `registry serve` leaves it off), for tsko's tests:
// CNCF distribution 2.8 and 3.x have no referrers API, and this is the smallest real
// implementation buildable from the module proxy. Blobs go to disk; manifests stay in memory.
//
// Usage: referrers-registry ADDR BLOBDIR (ADDR may name port 0: the bound address is logged
// as "listening on HOST:PORT" before the first request is served.)
package main

import (
	"log"
	"net"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: referrers-registry ADDR BLOBDIR")
	}
	handler := registry.New(
		registry.WithBlobHandler(registry.NewDiskBlobHandler(os.Args[2])),
		registry.WithReferrersSupport(true),
	)
	listener, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", listener.Addr())
	// The registry logs every request as "METHOD URL [STATUS CODE MESSAGE]" on stderr.
	log.Fatal(http.Serve(listener, handler))
}
