// Unit tests of local vendor matching (src/shared/hosts.js): the server never hears of other hosts.
import test from "node:test";
import assert from "node:assert/strict";
import { buildIndex, hostCandidates, matchVendor } from "../src/shared/hosts.js";

const index = buildIndex([
  { id: "zoom", name: "Zoom", domains: ["zoom.us", "zoom.com"] },
  { id: "google", name: "Google", domains: ["google.com", "www.youtube.com"] },
]);

const CASES = [
  ["zoom.us", "zoom"],
  ["www.zoom.us", "zoom"],
  ["explore.zoom.us", "zoom"],
  ["a.b.zoom.com.", "zoom"],
  ["ZOOM.US", "zoom"],
  ["youtube.com", "google"],
  ["notzoom.us", null],
  ["zoom.us.evil.example", null],
  ["us", null],
  ["", null],
];

for (const [host, expected] of CASES) {
  test(`${host || "(empty)"} -> ${expected}`, () => {
    assert.equal(matchVendor(host, index)?.vendor.id ?? null, expected);
  });
}

test("candidates strip www. and drop one label at a time, never down to a bare TLD", () => {
  assert.deepEqual(hostCandidates("www.a.b.example.co"), ["a.b.example.co", "b.example.co", "example.co"]);
});
