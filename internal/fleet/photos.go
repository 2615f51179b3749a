package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/image/draw"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/picture"
	"govfleet/internal/store"
)

// BlobStore keeps immutable binary objects by content.
type BlobStore interface {
	// Put stores data and returns its key (the hex SHA-256 of data).
	Put(ctx context.Context, data []byte) (string, error)
	// Get opens the object stored under key.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// FSBlobs stores blobs as files <Dir>/ab/cd/<sha256>.
type FSBlobs struct{ Dir string }

func (b FSBlobs) path(key string) (string, error) {
	if len(key) != 64 {
		return "", errs.E(errs.NotFound, "文件不存在")
	}
	if _, err := hex.DecodeString(key); err != nil {
		return "", errs.E(errs.NotFound, "文件不存在")
	}
	return filepath.Join(b.Dir, key[:2], key[2:4], key), nil
}

// Put writes data unless an object with the same content exists; the file
// appears atomically (written aside, then renamed).
func (b FSBlobs) Put(ctx context.Context, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:])
	p, _ := b.path(key)
	if _, err := os.Stat(p); err == nil {
		return key, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return "", errs.Wrap(err, "blob dir")
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return "", errs.Wrap(err, "blob temp")
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", errs.Wrap(err, "blob write")
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", errs.Wrap(err, "blob close")
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return "", errs.Wrap(err, "blob rename")
	}
	return key, nil
}

// Get opens the blob under key.
func (b FSBlobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := b.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errs.E(errs.NotFound, "文件不存在")
	}
	if err != nil {
		return nil, errs.Wrap(err, "blob open")
	}
	return f, nil
}

// Photo is a stored image of a vehicle or a driver.
type Photo struct {
	bun.BaseModel `bun:"table:photos"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	OwnerType   string    `bun:"owner_type" json:"-"`
	OwnerID     int64     `bun:"owner_id" json:"-"`
	Kind        string    `bun:"kind" json:"kind"`
	BlobKey     string    `bun:"blob_key" json:"-"`
	ThumbKey    string    `bun:"thumb_key" json:"-"`
	ContentType string    `bun:"content_type" json:"content_type"`
	Size        int64     `bun:"size" json:"size"`
	Width       int       `bun:"width" json:"width"`
	Height      int       `bun:"height" json:"height"`
	CreatedBy   *int64    `bun:"created_by" json:"-"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`

	KindName string `bun:"-" json:"kind_name"`
	URL      string `bun:"-" json:"url"`
	ThumbURL string `bun:"-" json:"thumb_url"`
}

func (p *Photo) fill() {
	kinds := VehiclePhotoKinds
	if p.OwnerType == "driver" {
		kinds = DriverPhotoKinds
	}
	p.KindName = name(kinds, p.Kind)
	p.URL = fmt.Sprintf("/api/%ss/%d/photos/%d", p.OwnerType, p.OwnerID, p.ID)
	p.ThumbURL = p.URL + "?thumb=1"
}

func (s *Service) photos(ctx context.Context, db bun.IDB, owner string, id int64) ([]*Photo, error) {
	out := []*Photo{}
	if err := db.NewSelect().Model(&out).Where("owner_type = ? AND owner_id = ?", owner, id).Order("id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for _, p := range out {
		p.fill()
	}
	return out, nil
}

// MaxPhotoBytes is the largest accepted upload.
const MaxPhotoBytes = 8 << 20

// ThumbWidth is the width of thumbnails (JPEG).
const ThumbWidth = 320

// ErrPhotoTooLarge is the message for an upload over MaxPhotoBytes.
const msgPhotoTooLarge = "照片不能超过8 MB，请压缩后重新上传"

// image is a checked upload: the sniffed type, decoded size and thumbnail.
type checkedImage struct {
	contentType   string
	width, height int
	thumb         []byte
}

// checkImage accepts JPEG, PNG and WebP by content (never by file name):
// picture.Check reads the header and refuses oversized canvases before the
// data is decoded.
func checkImage(data []byte) (*checkedImage, error) {
	if len(data) == 0 {
		return nil, (&errs.Fields{"file": "请选择要上传的照片"}).Err()
	}
	if len(data) > MaxPhotoBytes {
		return nil, (&errs.Fields{"file": msgPhotoTooLarge}).Err()
	}
	img, info, err := picture.Decode("file", "照片", data) // the header first: a bomb is never decoded
	if err != nil {
		return nil, err
	}
	thumb, err := thumbnail(img)
	if err != nil {
		return nil, err
	}
	return &checkedImage{contentType: info.ContentType, width: info.Width, height: info.Height, thumb: thumb}, nil
}

// thumbnail scales img to ThumbWidth pixels wide (never up) as JPEG.
func thumbnail(img image.Image) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > ThumbWidth {
		h = max(1, h*ThumbWidth/w)
		w = ThumbWidth
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src) // transparent PNGs on white
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil, errs.Wrap(err, "thumbnail")
	}
	return buf.Bytes(), nil
}

// storePhoto checks data, writes the image and its thumbnail to the blob
// store and returns the (unsaved) photo row.
func (s *Service) storePhoto(ctx context.Context, a *access.Actor, owner string, id int64, kind string, data []byte) (*Photo, error) {
	kinds := VehiclePhotoKinds
	if owner == "driver" {
		kinds = DriverPhotoKinds
	}
	if !known(kinds, kind) {
		msg := "请选择照片类型（车头、侧面、车尾或其他）"
		if owner == "driver" {
			msg = "请选择照片类型（驾驶员照片或驾驶证照片）"
		}
		return nil, (&errs.Fields{"kind": msg}).Err()
	}
	img, err := checkImage(data)
	if err != nil {
		return nil, err
	}
	if s.Blobs == nil {
		return nil, errs.E(errs.Internal, "照片存储未配置")
	}
	key, err := s.Blobs.Put(ctx, data)
	if err != nil {
		return nil, err
	}
	thumb, err := s.Blobs.Put(ctx, img.thumb)
	if err != nil {
		return nil, err
	}
	return &Photo{OwnerType: owner, OwnerID: id, Kind: kind, BlobKey: key, ThumbKey: thumb, ContentType: img.contentType,
		Size: int64(len(data)), Width: img.width, Height: img.height, CreatedBy: actorID(a), CreatedAt: s.now()}, nil
}

// AddVehiclePhoto stores a photo of a vehicle inside the actor's scope.
// Front, side and rear photos replace the previous one of their kind.
func (s *Service) AddVehiclePhoto(ctx context.Context, a *access.Actor, vehicleID int64, kind string, data []byte) (*Photo, error) {
	// Scope before the (costly) image work, and again in the transaction.
	if _, err := s.vehicleInScope(ctx, s.DB.R, a, vehicleID); err != nil {
		return nil, err
	}
	p, err := s.storePhoto(ctx, a, "vehicle", vehicleID, kind, data)
	if err != nil {
		return nil, err
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		v, err := s.vehicleInScope(ctx, tx, a, vehicleID)
		if err != nil {
			return err
		}
		if err := savePhoto(ctx, tx, p); err != nil {
			return err
		}
		if err := refreshVehicle(ctx, tx, v); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actPhotoUpload, ObjectType: audit.Vehicle, ObjectID: v.ID, ScopePath: v.UnitPath,
			Summary: fmt.Sprintf("上传车辆%s的%s", v.Plate, p.KindName), After: map[string]any{"photo_id": p.ID, "kind": p.Kind, "sha256": p.BlobKey, "size": p.Size}})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// AddDriverPhoto stores a driver photo or a licence photo (each replaces
// the previous one of its kind).
func (s *Service) AddDriverPhoto(ctx context.Context, a *access.Actor, driverID int64, kind string, data []byte) (*Photo, error) {
	if _, err := s.driverInScope(ctx, s.DB.R, a, driverID); err != nil {
		return nil, err
	}
	p, err := s.storePhoto(ctx, a, "driver", driverID, kind, data)
	if err != nil {
		return nil, err
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		d, err := s.driverInScope(ctx, tx, a, driverID)
		if err != nil {
			return err
		}
		if err := savePhoto(ctx, tx, p); err != nil {
			return err
		}
		if err := refreshDriver(ctx, tx, d); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actPhotoUpload, ObjectType: audit.Driver, ObjectID: d.ID, ScopePath: d.UnitPath,
			Summary: fmt.Sprintf("上传驾驶员%s的%s", d.Name, p.KindName), After: map[string]any{"photo_id": p.ID, "kind": p.Kind, "sha256": p.BlobKey, "size": p.Size}})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// photoKinds is the set of the kinds of photo an owner ("vehicle" or
// "driver") has, read inside tx.
func photoKinds(ctx context.Context, tx bun.IDB, owner string, id int64) (map[string]bool, error) {
	var kinds []string
	if err := tx.NewSelect().Table("photos").Column("kind").Where("owner_type = ? AND owner_id = ?", owner, id).Scan(ctx, &kinds); err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(kinds))
	for _, k := range kinds {
		have[k] = true
	}
	return have, nil
}

// savePhoto inserts p, replacing an earlier photo of a single-valued kind.
func savePhoto(ctx context.Context, tx bun.IDB, p *Photo) error {
	if p.Kind != "other" {
		if _, err := tx.NewDelete().Model((*Photo)(nil)).Where("owner_type = ? AND owner_id = ? AND kind = ?", p.OwnerType, p.OwnerID, p.Kind).Exec(ctx); err != nil {
			return err
		}
	}
	if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
		return err
	}
	p.fill()
	return nil
}

// DeleteVehiclePhoto removes a photo from a vehicle (the blob stays: it is
// content-addressed and may be shared).
func (s *Service) DeleteVehiclePhoto(ctx context.Context, a *access.Actor, vehicleID, photoID int64) error {
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		v, err := s.vehicleInScope(ctx, tx, a, vehicleID)
		if err != nil {
			return err
		}
		p := new(Photo)
		if err := tx.NewSelect().Model(p).Where("id = ? AND owner_type = 'vehicle' AND owner_id = ?", photoID, vehicleID).Scan(ctx); err != nil {
			if errs.Is(store.Translate(err), errs.NotFound) {
				return errs.E(errs.NotFound, "照片不存在")
			}
			return err
		}
		p.fill()
		if _, err := tx.NewDelete().Model(p).WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := refreshVehicle(ctx, tx, v); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actPhotoDelete, ObjectType: audit.Vehicle, ObjectID: v.ID, ScopePath: v.UnitPath,
			Summary: fmt.Sprintf("删除车辆%s的%s", v.Plate, p.KindName), Before: map[string]any{"photo_id": p.ID, "kind": p.Kind, "sha256": p.BlobKey}})
	})
}

// PhotoData is an image to serve.
type PhotoData struct {
	ContentType string
	Data        []byte
}

// OpenPhoto returns the image (or its thumbnail) of a vehicle's or driver's
// photo; the owner must lie inside the actor's scope.
func (s *Service) OpenPhoto(ctx context.Context, a *access.Actor, owner string, ownerID, photoID int64, thumb bool) (*PhotoData, error) {
	switch owner {
	case "vehicle":
		if _, err := s.vehicleInScope(ctx, s.DB.R, a, ownerID); err != nil {
			return nil, err
		}
	case "driver":
		if _, err := s.driverInScope(ctx, s.DB.R, a, ownerID); err != nil {
			return nil, err
		}
	default:
		return nil, errs.E(errs.NotFound, "照片不存在")
	}
	p := new(Photo)
	if err := s.DB.R.NewSelect().Model(p).Where("id = ? AND owner_type = ? AND owner_id = ?", photoID, owner, ownerID).Scan(ctx); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "照片不存在"))
	}
	key, ct := p.BlobKey, p.ContentType
	if thumb {
		key, ct = p.ThumbKey, "image/jpeg"
	}
	rc, err := s.Blobs.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, errs.Wrap(err, "blob read")
	}
	return &PhotoData{ContentType: ct, Data: data}, nil
}

// StoredImage is an image written to the blob store with its thumbnail.
type StoredImage struct {
	Key, ThumbKey, ContentType string
	Size                       int64
	Width, Height              int
}

// StoreImage checks an image like an upload and writes it and its
// thumbnail to the blob store (for bulk loaders such as the demo, which
// insert the photo rows themselves).
func (s *Service) StoreImage(ctx context.Context, data []byte) (*StoredImage, error) {
	img, err := checkImage(data)
	if err != nil {
		return nil, err
	}
	key, err := s.Blobs.Put(ctx, data)
	if err != nil {
		return nil, err
	}
	thumb, err := s.Blobs.Put(ctx, img.thumb)
	if err != nil {
		return nil, err
	}
	return &StoredImage{Key: key, ThumbKey: thumb, ContentType: img.contentType, Size: int64(len(data)), Width: img.width, Height: img.height}, nil
}

// VehicleMissing lists what a vehicle lacks given the kinds of photo it
// has (for bulk loaders).
func VehicleMissing(v *Vehicle, photoKinds map[string]bool) []string {
	return vehicleMissing(v, photoKinds)
}

// DriverMissing lists what a driver lacks given the kinds of photo it has.
func DriverMissing(d *Driver, photoKinds map[string]bool) []string {
	return driverMissing(d, photoKinds)
}

// Recount refreshes the actual vehicle count of the units given.
func Recount(ctx context.Context, tx bun.IDB, unitIDs ...int64) error {
	return recount(ctx, tx, unitIDs...)
}
