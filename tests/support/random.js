// A small seedable random generator for the randomised tests, so that a failing run can be
// replayed from the seed it prints.
'use strict';

// mulberry32: returns a function giving numbers in [0, 1), the same sequence for the same seed.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

module.exports = { rng };
