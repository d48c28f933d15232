/* Redress: the login page's optional proof of work (redress/reporting/challenges.py,
   docs/crypto-format.md). Finds a counter whose SHA-256 with the page's challenge starts with the
   challenge's number of zero bits, in short slices so the page stays responsive, and puts it in
   the hidden "proof" field; a login carrying it is served in a lane of its own during floods.
   Nothing else: no request, no storage. Without JavaScript the field stays empty and the login
   works all the same, only without that priority. */
(function () {
  "use strict";

  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var INITIAL = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  ]);
  var W = new Uint32Array(64);

  function rotr(x, n) {
    return (x >>> n) | (x << (32 - n));
  }

  /* One SHA-256 compression of the 16 words at `offset` of `words` into the state `h`. */
  function compress(h, words, offset) {
    var t;
    for (t = 0; t < 16; t++) {
      W[t] = words[offset + t];
    }
    for (t = 16; t < 64; t++) {
      var x = W[t - 15];
      var y = W[t - 2];
      W[t] = W[t - 16] + (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) + W[t - 7] +
        (rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10));
    }
    var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (t = 0; t < 64; t++) {
      var t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
        K[t] + W[t]) | 0;
      var t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
  }

  /* SHA-256 of `prefix` (ASCII) followed by decimal counters: the prefix's whole 64-byte blocks
     are compressed once, so each counter costs one or two compressions and no allocation. */
  function Hasher(prefix) {
    var full = prefix.length >> 6;
    var words = new Uint32Array(16);
    var i;
    this.midstate = new Uint32Array(INITIAL);
    for (var block = 0; block < full; block++) {
      words.fill(0);
      for (i = 0; i < 64; i++) {
        words[i >> 2] |= (prefix.charCodeAt(block * 64 + i) & 0xff) << (24 - (i & 3) * 8);
      }
      compress(this.midstate, words, 0);
    }
    this.done = full * 64;
    this.tail = prefix.slice(this.done);
    this.bytes = new Uint8Array(192);
    this.words = new Uint32Array(48);
    this.state = new Uint32Array(8);
    for (i = 0; i < this.tail.length; i++) {
      this.bytes[i] = this.tail.charCodeAt(i) & 0xff;
    }
  }

  Hasher.prototype.hash = function (counter) {
    var digits = String(counter);
    var bytes = this.bytes;
    var length = this.tail.length;
    var i;
    for (i = 0; i < digits.length; i++) {
      bytes[length++] = digits.charCodeAt(i);
    }
    var total = this.done + length;
    var blocks = (length + 9 + 63) >> 6;
    bytes[length] = 0x80;
    bytes.fill(0, length + 1, blocks * 64);
    var bitLength = total * 8;
    bytes[blocks * 64 - 4] = bitLength >>> 24;
    bytes[blocks * 64 - 3] = bitLength >>> 16;
    bytes[blocks * 64 - 2] = bitLength >>> 8;
    bytes[blocks * 64 - 1] = bitLength;
    for (i = 0; i < blocks * 16; i++) {
      this.words[i] = (bytes[4 * i] << 24) | (bytes[4 * i + 1] << 16) |
        (bytes[4 * i + 2] << 8) | bytes[4 * i + 3];
    }
    this.state.set(this.midstate);
    for (i = 0; i < blocks; i++) {
      compress(this.state, this.words, i * 16);
    }
    return this.state;
  };

  function zeroBits(words) {
    for (var i = 0; i < words.length; i++) {
      if (words[i] !== 0) {
        return i * 32 + Math.clz32(words[i]);
      }
    }
    return words.length * 32;
  }

  if (typeof module === "object" && module.exports) {
    module.exports = { Hasher: Hasher, zeroBits: zeroBits };
    return;
  }

  var challengeField = document.querySelector("input[name=challenge]");
  var proofField = challengeField && challengeField.form.elements.namedItem("proof");
  if (!proofField) {
    return;
  }
  var form = challengeField.form;
  var challenge = challengeField.value;
  var bits = parseInt(challenge.split(".")[1], 10);
  if (!(bits > 0 && bits <= 32)) {
    return;
  }
  var hasher = new Hasher(challenge + ".");
  var counter = 0;
  var found = false;
  var waiting = false;
  var giveUp = null;

  function send() {
    clearTimeout(giveUp);
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function work() {
    var until = Date.now() + 25;
    while (Date.now() < until) {
      for (var i = 0; i < 64; i++, counter++) {
        if (zeroBits(hasher.hash(counter)) >= bits) {
          proofField.value = String(counter);
          found = true;
          if (waiting) {
            send();
          }
          return;
        }
      }
    }
    setTimeout(work, 0);
  }

  /* Sent before the proof is ready: wait for it, but never more than a few seconds. */
  form.addEventListener("submit", function (event) {
    if (found || giveUp === false) {
      return;
    }
    event.preventDefault();
    if (!waiting) {
      waiting = true;
      giveUp = setTimeout(function () {
        giveUp = false;
        send();
      }, 8000);
    }
  });

  work();
}());
