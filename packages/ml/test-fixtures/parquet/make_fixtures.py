"""Writes the small Parquet fixtures used by packages/ml/src/data/parquet.reader.test.ts.

They are written by pyarrow (the writer behind pandas.to_parquet) so that the reader is tested
against files as real tools make them, not against our own idea of the format. Values are
chosen so that the expected 60 s means can be worked out by hand; the test file states them.

Run from this folder:  python3 -m venv /tmp/pq && /tmp/pq/bin/pip install pyarrow
                       /tmp/pq/bin/python make_fixtures.py
"""

import math

import pyarrow as pa
import pyarrow.parquet as pq

T0 = 1388534400  # 2014-01-01T00:00:00Z, a whole minute


def write(name, table, **kw):
    pq.write_table(table, name, **kw)


# REFIT-like: naive ns timestamps (what pandas writes), snappy, several row groups.
secs = [T0 + 20 * i for i in range(12)]
write(
    'refit_like.parquet',
    pa.table(
        {
            'Time': pa.array([s * 1_000_000_000 for s in secs], pa.timestamp('ns')),
            'Unix': pa.array(secs, pa.int64()),
            'Aggregate': pa.array(
                [100, 110, 120, 200, 210, 220, 300, 300, 300, 400, 410, 420], pa.int64()
            ),
            'Kettle': pa.array([0, 0, 0, 2000, 2000, 0, 0, 0, 0, 0, 0, 0], pa.int64()),
            'WashingMachine': pa.array(
                [10.0, 20.0, None, 30.0, 30.0, 30.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0], pa.float64()
            ),
            'Issues': pa.array([0] * 12, pa.int64()),
        }
    ),
    compression='snappy',
    row_group_size=5,
)

# Integer unix seconds under names that need a mapping; a short and a long pause.
# Rows every 20 s for minutes 0-1, a 40 s pause (short), rows again, then 5 minutes of nothing.
t = [0, 20, 40, 60, 100, 140, 160, 180, 200, 220, 520, 540, 560]
write(
    'unix_seconds.parquet',
    pa.table(
        {
            'ts': pa.array([T0 + x for x in t], pa.int64()),
            'ts_ms': pa.array([(T0 + x) * 1000 for x in t], pa.int64()),
            'house_w': pa.array(
                [60.0, 90.0, 120.0, 300.0, 330.0, 360.0, 400.0, 400.0, 400.0, 400.0, 500.0, 510.0, 520.0],
                pa.float64(),
            ),
            'fridge_w': pa.array(
                [0.0, 0.0, 0.0, 90.0, 90.0, 90.0, 90.0, 0.0, 0.0, 0.0, 80.0, 80.0, 80.0], pa.float32()
            ),
            'dw': pa.array([1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4], pa.int32()),
            'fridge2_w': pa.array([1.0] * 13, pa.float64()),
        }
    ),
    compression='none',
)

# ISO strings: UTC with Z, naive (read as UTC), and an explicit +01:00 offset.
write(
    'iso_strings.parquet',
    pa.table(
        {
            'timestamp': pa.array(
                [
                    '2014-01-01T00:00:00Z',
                    '2014-01-01 00:00:30',
                    '2014-01-01T01:01:00+01:00',
                    '2014-01-01T00:01:30.500Z',
                ],
                pa.string(),
            ),
            'power_w': pa.array([100.0, 200.0, 300.0, 500.0], pa.float64()),
            'microwave': pa.array([0.0, 0.0, 1000.0, 0.0], pa.float64()),
        }
    ),
)

# TIMESTAMP(MICROS, UTC) as written by pyarrow from tz-aware datetimes.
write(
    'timestamp_us.parquet',
    pa.table(
        {
            'time': pa.array(
                [(T0 + 6 * i) * 1_000_000 for i in range(20)], pa.timestamp('us', tz='UTC')
            ),
            'mains': pa.array([float(100 + i) for i in range(20)], pa.float32()),
        }
    ),
)

# Bad inputs, one fault each.
def simple(times, mains):
    return pa.table(
        {'time': pa.array(times, pa.int64()), 'mains': pa.array(mains, pa.float64())}
    )


write('unsorted.parquet', simple([T0, T0 + 6, T0 + 12, T0 + 9, T0 + 18], [1.0] * 5))
write('duplicate_time.parquet', simple([T0, T0 + 6, T0 + 6, T0 + 12], [1.0] * 4))
write('nan_value.parquet', simple([T0 + 6 * i for i in range(6)], [1.0, 2.0, 3.0, 4.0, math.nan, 6.0]))
write('empty.parquet', simple([], []))
