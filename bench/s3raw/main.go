// s3raw: raw parallel GET-only or PUT-only load on one S3 endpoint, to measure what a server can
// serve or take (the limit a copy between two servers can approach). Like MinIO's warp, which the
// Go module proxy here does not serve. Payloads are not signed (UNSIGNED-PAYLOAD) and no MD5 is
// taken, so the client's CPU stays small: what is measured is the server and the loopback.
//
//	s3raw -mode get -endpoint http://127.0.0.1:9000 -bucket b -prefix p/        (every object under p/)
//	s3raw -mode put -endpoint ... -bucket b -prefix p/ -dir /dev/shm/files/p/   (every file in dir)
//
// Keys and secret come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION. Prints one JSON
// line: {"objects":N,"bytes":N,"seconds":X}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

type job struct {
	key   string
	start int64
	end   int64 // inclusive; -1 for the whole object
	path  string
	size  int64
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "s3raw: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	mode := flag.String("mode", "", "get or put")
	endpoint := flag.String("endpoint", "", "http://host:port")
	bucket := flag.String("bucket", "", "bucket")
	prefix := flag.String("prefix", "", "key prefix")
	dir := flag.String("dir", "", "put: upload every file in this directory as prefix+name")
	workers := flag.Int("concurrency", 16, "requests in flight")
	partMiB := flag.Int64("part-size", 16, "MiB per ranged GET and per uploaded part")
	cutoffMiB := flag.Int64("multipart-cutoff", 200, "put: objects larger than this many MiB go in parts")
	flag.Parse()
	u, err := url.Parse(*endpoint)
	if err != nil || u.Host == "" {
		fail("-endpoint must be a URL like http://127.0.0.1:9000")
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		Secure:       u.Scheme == "https",
		Region:       os.Getenv("AWS_REGION"),
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		fail("%v", err)
	}
	ctx := context.Background()
	partSize := *partMiB << 20
	var jobs []job
	started := time.Now()
	switch *mode {
	case "get":
		for obj := range client.ListObjects(ctx, *bucket, minio.ListObjectsOptions{Prefix: *prefix, Recursive: true}) {
			if obj.Err != nil {
				fail("list: %v", obj.Err)
			}
			if obj.Size <= partSize {
				jobs = append(jobs, job{key: obj.Key, end: -1, size: obj.Size})
				continue
			}
			for start := int64(0); start < obj.Size; start += partSize {
				end := min(start+partSize, obj.Size) - 1
				jobs = append(jobs, job{key: obj.Key, start: start, end: end, size: end - start + 1})
			}
		}
	case "put":
		entries, err := os.ReadDir(*dir)
		if err != nil {
			fail("%v", err)
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || !info.Mode().IsRegular() {
				continue
			}
			jobs = append(jobs, job{key: *prefix + e.Name(), path: filepath.Join(*dir, e.Name()), size: info.Size()})
		}
	default:
		fail("-mode must be get or put")
	}

	var bytes, objects atomic.Int64
	var firstErr atomic.Value
	queue := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				if err := run(ctx, client, *mode, *bucket, j, partSize, *cutoffMiB<<20, *workers); err != nil {
					firstErr.CompareAndSwap(nil, fmt.Errorf("%s: %w", j.key, err))
					continue
				}
				bytes.Add(j.size)
				if j.end < 0 || j.start == 0 {
					objects.Add(1)
				}
			}
		}()
	}
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok && err != nil {
		fail("%v", err)
	}
	out, _ := json.Marshal(map[string]any{"objects": objects.Load(), "bytes": bytes.Load(), "seconds": time.Since(started).Seconds()})
	fmt.Println(string(out))
}

func run(ctx context.Context, client *minio.Client, mode, bucket string, j job, partSize, cutoff int64, threads int) error {
	if mode == "get" {
		opts := minio.GetObjectOptions{}
		if j.end >= 0 {
			if err := opts.SetRange(j.start, j.end); err != nil {
				return err
			}
		}
		obj, err := client.GetObject(ctx, bucket, j.key, opts)
		if err != nil {
			return err
		}
		defer obj.Close()
		n, err := io.Copy(io.Discard, obj)
		if err != nil {
			return err
		}
		if n != j.size {
			return fmt.Errorf("read %d bytes, expected %d", n, j.size)
		}
		return nil
	}
	f, err := os.Open(j.path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = client.PutObject(ctx, bucket, j.key, f, j.size, minio.PutObjectOptions{
		DisableContentSha256: true,
		DisableMultipart:     j.size <= cutoff,
		PartSize:             uint64(partSize),
		NumThreads:           uint(threads),
	})
	return err
}
