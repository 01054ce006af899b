import assert from "node:assert/strict";
import {
  brentRoot,
  logGamma,
  normalCdf,
  regularizedGamma,
  regularizedIncompleteBeta,
} from "../../metrics/_special.ts";

function close(actual: number, expected: number, tol: number, label: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${label}: ${actual} != ${expected}`,
  );
}

Deno.test("logGamma() matches factorials and Γ(1/2) = √π", () => {
  let f = 1;
  for (let n = 1; n <= 20; n++) {
    close(logGamma(n + 1), Math.log(f *= n), 1e-13, `ln ${n}!`);
  }
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-14, "ln Γ(1/2)");
  close(logGamma(0.25), Math.log(3.6256099082219083), 1e-14, "ln Γ(1/4)");
});

Deno.test("regularizedIncompleteBeta() matches closed forms on both sides of the switch point", () => {
  for (const x of [0.01, 0.2, 0.5, 0.8, 0.99]) {
    for (const a of [0.5, 1, 3, 7.5]) {
      close(regularizedIncompleteBeta(x, a, 1), Math.pow(x, a), 1e-13, `I_${x}(${a},1)`);
      close(regularizedIncompleteBeta(x, 1, a), 1 - Math.pow(1 - x, a), 1e-13, `I_${x}(1,${a})`);
    }
    // I_x(2, 3) = P(Binomial(4, x) >= 2).
    const binom = 6 * x ** 2 * (1 - x) ** 2 + 4 * x ** 3 * (1 - x) + x ** 4;
    close(regularizedIncompleteBeta(x, 2, 3), binom, 1e-13, `I_${x}(2,3)`);
    // I_x(1/2, 1/2) = (2/π) asin(√x).
    close(
      regularizedIncompleteBeta(x, 0.5, 0.5),
      (2 / Math.PI) * Math.asin(Math.sqrt(x)),
      1e-13,
      `I_${x}(1/2,1/2)`,
    );
  }
  assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
  assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
});

Deno.test("regularizedGamma() and normalCdf() match known values", () => {
  // P(1, x) = 1 − e^{−x}.
  for (const x of [0.1, 1, 2.5, 10]) {
    close(regularizedGamma(1, x)[0], 1 - Math.exp(-x), 1e-14, `P(1,${x})`);
  }
  close(normalCdf(0), 0.5, 1e-15, "Φ(0)");
  close(normalCdf(1.959963984540054), 0.975, 1e-14, "Φ(1.96)");
  close(normalCdf(-1), 0.15865525393145707, 1e-14, "Φ(−1)");
  close(normalCdf(-8) / 6.220960574271784e-16, 1, 1e-10, "Φ(−8) relative");
});

Deno.test("brentRoot() finds a bracketed root and rejects an unbracketed interval", () => {
  close(brentRoot((x) => x * x - 2, 0, 2), Math.SQRT2, 1e-14, "√2");
  close(brentRoot((x) => Math.cos(x) - x, 0, 1), 0.7390851332151607, 1e-14, "Dottie");
  assert.throws(() => brentRoot((x) => x * x + 1, -1, 1), /same sign/);
});
