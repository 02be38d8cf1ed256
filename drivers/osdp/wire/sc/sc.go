// Package sc is the OSDP Secure Channel (AES-128) arithmetic shared by the
// control panel and the PD simulator: session keys, the client and server
// cryptograms of the CHLNG/CCRYPT/SCRYPT handshake, the initial R-MAC, MAC
// chaining and the AES-CBC payload encryption, all per SIA OSDP v2.2 Annex
// D/E. It holds no state of its own; Session carries one link's chaining.
package sc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
)

// Key is an AES-128 key or block.
type Key = [16]byte

// Random is an 8-byte challenge (RND.A of the CP, RND.B of the PD).
type Random = [8]byte

// DefaultSCBK returns SCBK-D, the install-mode key 0x30 0x31 … 0x3F.
func DefaultSCBK() Key {
	var k Key
	for i := range k {
		k[i] = 0x30 + byte(i)
	}
	return k
}

// Keys are the session keys derived from a base key and the CP's challenge.
type Keys struct {
	ENC  Key // S-ENC: payload encryption and cryptograms
	MAC1 Key // S-MAC1: every MAC block but the last
	MAC2 Key // S-MAC2: the last MAC block
}

// block returns the AES-128 cipher of key; aes.NewCipher fails only on a key
// length other than 16, 24 or 32, which the Key type rules out.
func block(key Key) cipher.Block {
	c, _ := aes.NewCipher(key[:])
	return c
}

func encryptBlock(key Key, in Key) Key {
	var out Key
	block(key).Encrypt(out[:], in[:])
	return out
}

// DeriveKeys derives S-ENC, S-MAC1 and S-MAC2 from the base key and RND.A.
func DeriveKeys(scbk Key, rndA Random) Keys {
	derive := func(b1 byte) Key {
		in := Key{0x01, b1}
		copy(in[2:8], rndA[:6])
		return encryptBlock(scbk, in)
	}
	return Keys{ENC: derive(0x82), MAC1: derive(0x01), MAC2: derive(0x02)}
}

func concat(a, b Random) Key {
	var k Key
	copy(k[:8], a[:])
	copy(k[8:], b[:])
	return k
}

// ClientCryptogram is the PD's proof of the key: AES(S-ENC, RND.A ‖ RND.B).
func (k Keys) ClientCryptogram(rndA, rndB Random) Key { return encryptBlock(k.ENC, concat(rndA, rndB)) }

// ServerCryptogram is the CP's proof of the key: AES(S-ENC, RND.B ‖ RND.A).
func (k Keys) ServerCryptogram(rndA, rndB Random) Key { return encryptBlock(k.ENC, concat(rndB, rndA)) }

// InitialRMAC is RMAC_I = AES(S-MAC2, AES(S-MAC1, server cryptogram)), the
// PD's last handshake message and the first MAC chaining value.
func (k Keys) InitialRMAC(serverCryptogram Key) Key {
	return encryptBlock(k.MAC2, encryptBlock(k.MAC1, serverCryptogram))
}

// VerifyCryptogram compares two cryptograms in constant time.
func VerifyCryptogram(got, want []byte) bool { return subtle.ConstantTimeCompare(got, want) == 1 }

// MAC computes the CBC-MAC of msg chained from iv: every full block but the
// last under S-MAC1, the last block (padded 0x80 00… when short) under
// S-MAC2. The wire carries the first four bytes; the whole result is the
// next IV.
func (k Keys) MAC(iv Key, msg []byte) Key {
	mac1, mac2 := block(k.MAC1), block(k.MAC2)
	chain := iv
	for len(msg) > 0 {
		var blk Key
		n := copy(blk[:], msg)
		msg = msg[n:]
		if n < 16 {
			blk[n] = 0x80
		}
		subtle.XORBytes(chain[:], chain[:], blk[:])
		if len(msg) == 0 {
			mac2.Encrypt(chain[:], chain[:])
		} else {
			mac1.Encrypt(chain[:], chain[:])
		}
	}
	return chain
}

// Encrypt pads data with 0x80 and zeros to a multiple of 16 and encrypts it
// with AES-CBC under S-ENC; iv is the bitwise NOT of the other side's last
// MAC (use IVFor).
func (k Keys) Encrypt(iv Key, data []byte) []byte {
	n := (len(data)/16 + 1) * 16
	out := make([]byte, n)
	copy(out, data)
	out[len(data)] = 0x80
	cipher.NewCBCEncrypter(block(k.ENC), iv[:]).CryptBlocks(out, out)
	return out
}

// ErrPadding is returned when decrypted data does not end in 0x80 00….
var ErrPadding = errors.New("osdp sc: bad padding after decryption")

// Decrypt reverses Encrypt.
func (k Keys) Decrypt(iv Key, data []byte) ([]byte, error) {
	if len(data) == 0 || len(data)%16 != 0 {
		return nil, fmt.Errorf("osdp sc: %d encrypted bytes is not a non-empty multiple of 16", len(data))
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block(k.ENC), iv[:]).CryptBlocks(out, data)
	i := len(out) - 1
	for i >= len(out)-16 && out[i] == 0 {
		i--
	}
	if i < len(out)-16 || out[i] != 0x80 {
		return nil, ErrPadding
	}
	return out[:i], nil
}

// IVFor is the encryption IV: the bitwise NOT of the other side's last MAC.
func IVFor(lastMAC Key) Key {
	for i := range lastMAC {
		lastMAC[i] = ^lastMAC[i]
	}
	return lastMAC
}
