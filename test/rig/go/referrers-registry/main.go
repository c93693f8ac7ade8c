// Command referrers-registry serves go-containerregistry's registry with the OCI 1.1
// referrers API switched on (crane's `registry serve` leaves it off), for tsko's tests:
// CNCF distribution 2.8 and 3.x have no referrers API, and this is the smallest real
// implementation buildable from the module proxy. Blobs go to disk; manifests stay in memory.
//
// Usage: referrers-registry ADDR BLOBDIR
package main

import (
	"log"
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
	// The registry logs every request as "METHOD URL [STATUS CODE MESSAGE]" on stderr.
	log.Fatal(http.ListenAndServe(os.Args[1], handler))
}
