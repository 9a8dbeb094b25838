"""Evaluate one parameter point on every setting of a joint calibration file (a quick look).

    python tools/joint_point.py experiments/joint_calibration.toml [key=value ...] [--seeds N]
        [--seed S]

Prints each target's simulated mean over N seeds beside the published value and its z-score;
values not given keep the settings' own (the registry defaults unless a setting sets them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sanisim.evidence import joint  # noqa: E402
from sanisim.streams import replicate_seeds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("values", nargs="*")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0,
                        help="base seed; look r runs with its r-th derived seed")
    args = parser.parse_args()
    spec = joint.load(args.file)
    point = {}
    for item in args.values:
        key, value = item.split("=", 1)
        point[key] = float(value)
    sims = [joint.simulate_point(spec.settings, point, seed, 1)
            for seed in replicate_seeds(args.seed, args.seeds)]
    z2 = []
    for setting in spec.settings:
        for target in setting.targets:
            key = joint.target_key(setting.name, target.name)
            values = [s.get(key, np.nan) for s in sims]
            z = (np.mean(values) - target.value) / target.se
            if not setting.held_out:
                z2.append(z * z)
            flag = "held out" if setting.held_out else ""
            print(f"{key:55s} {np.mean(values):8.3f}  published {target.value:7.3f}"
                  f"  z {z:+6.2f} {flag}")
    print(f"distance (rms z over fitted targets): {np.sqrt(np.mean(z2)):.2f}")


if __name__ == "__main__":
    main()
