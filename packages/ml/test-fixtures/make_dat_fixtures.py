"""Writes the tiny REDD-style and UK-DALE-style house folders used by
packages/ml/src/data/redd.reader.test.ts. Deterministic; run from this folder with python3.

Values are chosen so that every 60 s mean can be worked out by hand; the test states them.
Times are seconds after a whole minute (T0), so grid cell k covers seconds [60k, 60k + 60).
"""

import os


def write(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', newline='\n') as f:
        for row in rows:
            f.write(' '.join(row) + '\n')


def num(x):
    return f'{x:.2f}'


# REDD low_freq house: 1 s split-phase mains, ~3 s appliances.
T0 = 1303132920
redd = 'redd/house_1'
write(f'{redd}/labels.dat', [(str(c), l) for c, l in [
    (1, 'mains'), (2, 'mains'), (3, 'refrigerator'), (4, 'dishwaser'), (5, 'kitchen_outlets'),
    (6, 'washer_dryer'), (7, 'washer_dryer'), (8, 'microwave'), (9, 'lighting'),
]])
# Phase A: cell k means 100 (k + 1); +-10 on odd/even seconds, equal counts in every cell.
write(f'{redd}/channel_1.dat', [
    (str(T0 + s), num(100 * (s // 60 + 1) + (10 if s % 2 else -10))) for s in range(4, 364)
])
# Phase B: 50 +- 5; silent from s = 110 to 299 (last sample s = 109, odd, so 55 W).
write(f'{redd}/channel_2.dat', [
    (str(T0 + s), num(50 + (5 if s % 2 else -5)))
    for s in range(2, 362) if not 110 <= s < 300
])
# Fridge: 120 W for s in [120, 300), else 2 W; starts 6 s before the mains.
write(f'{redd}/channel_3.dat', [
    (str(T0 + s), num(120 if 120 <= s < 300 else 2)) for s in range(-6, 364, 3)
])
# Dishwasher: value = s; silent from s = 58 to 119 (a short pause, held).
write(f'{redd}/channel_4.dat', [
    (str(T0 + s), num(s)) for s in range(0, 364, 3) if not 58 <= s < 120
])
write(f'{redd}/channel_5.dat', [(str(T0 + s), num(7)) for s in range(0, 364, 3)])
# Washer-dryer, two 120 V legs: 10 W, and 20 W that stops after s = 177.
write(f'{redd}/channel_6.dat', [(str(T0 + s), num(10)) for s in range(0, 364, 3)])
write(f'{redd}/channel_7.dat', [(str(T0 + s), num(20)) for s in range(0, 178, 3)])
# Microwave: 1000 W for s in [240, 250), every 4 s.
write(f'{redd}/channel_8.dat', [
    (str(T0 + s), num(1000 if 240 <= s < 250 else 0)) for s in range(0, 364, 4)
])
write(f'{redd}/channel_9.dat', [(str(T0 + s), num(60)) for s in range(0, 364, 3)])

# UK-DALE house: 6 s channels (channel 1 is the aggregate, apparent power) and 1 s mains.dat
# with `time active apparent voltage`.
U0 = 1363547520
uk = 'ukdale/house_1'
write(f'{uk}/labels.dat', [(str(c), l) for c, l in [
    (1, 'aggregate'), (2, 'kettle'), (3, 'washing_machine'), (4, 'fridge_freezer'), (5, 'gas_oven'),
]])
write(f'{uk}/channel_1.dat', [
    (str(U0 + s), str(300 + 100 * (s // 60) + (20 if (s // 6) % 2 else -20)))
    for s in range(0, 300, 6)
])
write(f'{uk}/mains.dat', [
    (str(U0 + s), num(250 + 100 * (s // 60)), num(300 + 100 * (s // 60)), '240.10')
    for s in range(0, 300)
])
write(f'{uk}/channel_2.dat', [
    (str(U0 + s), str(2500 if 120 <= s < 150 else 1)) for s in range(0, 300, 6)
])
write(f'{uk}/channel_3.dat', [(str(U0 + s), '200') for s in range(0, 300, 6)])
write(f'{uk}/channel_4.dat', [(str(U0 + s), '80') for s in range(0, 300, 6)])
write(f'{uk}/channel_5.dat', [(str(U0 + s), '0') for s in range(0, 300, 6)])
