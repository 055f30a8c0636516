// Proves the `nilm` command as a user runs it: --help everywhere (the top level lists every
// command's summary), an unknown command's suggestion, the eval JSON contract on the
// committed real excerpt (run-level and whole-house fields included), unscored columns and
// warnings, the readable table, data inspect, fit, another post-processing rule (--postprocess),
// and clear errors (exit 2).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SUMMARIES } from './commands/command.summaries.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = resolve(ROOT, 'apps/cli/bin/nilm.js');
const EXCERPT = resolve(ROOT, 'data/REFIT_House20_2014-09-03_14d.csv.gz');
const tmp = mkdtempSync(join(tmpdir(), 'nilm-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Result = { code: number; stdout: string; stderr: string };

function nilm(...args: string[]): Promise<Result> {
  return nilmWith(process.env, ...args);
}

async function nilmWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('nilm CLI', () => {
  it.each([[], ['eval'], ['fit'], ['data', 'inspect']])('prints help for %j', async (...cmd) => {
    const r = await nilm(...cmd, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: nilm/);
  });

  it('lists every command with its one-line summary, and an unknown one suggests the nearest', async () => {
    const r = await nilm('--help');
    const listed = r.stdout.replace(/\s+/g, ' ');
    for (const [name, summary] of Object.entries(SUMMARIES))
      expect(listed).toContain(`${name} ${summary.replace(/\s+/g, ' ')}`);
    const typo = await nilm('evl');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown command 'evl'\s+\(Did you mean eval\?\)/);
  });

  it('prints its version with --version and -V', async () => {
    const { version } = JSON.parse(
      readFileSync(resolve(ROOT, 'apps/cli/package.json'), 'utf8'),
    ) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await nilm(flag);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });

  it('eval --json prints exactly one JSON object with the documented fields', async () => {
    const r = await nilm('eval', '--model', 'baseline:co', '--data', EXCERPT, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(Object.keys(report).sort()).toEqual([
      'appliances',
      'explained_kwh',
      'explained_share',
      'houses',
      'mains_kwh',
      'mean',
      'model',
      'period_s',
      'samples',
      'seconds',
      'skipped',
      'submetered_kwh',
      'unmetered',
      'unscored',
    ]);
    expect(report).toMatchObject({ model: 'baseline:co', period_s: 60, samples: 20160 });
    expect(Object.keys(report.appliances).sort()).toEqual([
      'dishwasher',
      'kettle',
      'microwave',
      'washing_machine',
    ]);
    for (const a of Object.values(report.appliances)) {
      expect(Object.keys(a as object).sort()).toEqual([
        'band_coverage',
        'band_coverage_on',
        'energy_accuracy',
        'energy_pred_kwh',
        'energy_true_kwh',
        'event_f1',
        'event_precision',
        'event_recall',
        'f1',
        'mae_w',
        'nde',
        'on_threshold_w',
        'precision',
        'recall',
        'reliability',
        'rmse_w',
        'runs_pred',
        'runs_true',
        'sae',
      ]);
    }
    expect(Object.keys(report.mean).sort()).toEqual(['f1', 'mae_w', 'nde', 'sae']);
    expect(report.seconds).toBeGreaterThan(0);
    // Whole house: explained energy is at most the sub-metered energy, which is at most mains.
    expect(report.explained_kwh).toBeGreaterThan(0);
    expect(report.explained_kwh).toBeLessThanOrEqual(report.submetered_kwh);
    expect(report.submetered_kwh).toBeLessThan(report.mains_kwh);
    expect(report.explained_share).toBeCloseTo(report.explained_kwh / report.mains_kwh, 12);
    expect(report.houses).toHaveLength(1);
    expect(report.unscored).toEqual([]);
    expect(report.unmetered).toEqual([]);
  });

  it('eval lists data columns the model lacks as unscored and warns about unknown ones', async () => {
    // Kettle and toaster are known, HiFi is outside the vocabulary; CO estimates the 4 REFIT
    // House 2 appliances, so the toaster is unscored and the other three have no truth.
    const csv = join(tmp, 'House9_mixed.csv');
    writeFileSync(
      csv,
      'Time,Aggregate,Kettle,Toaster,HiFi\n' +
        '2020-01-01 00:00:00,100,0,0,5\n' +
        '2020-01-01 00:01:00,2100,2000,0,5\n' +
        '2020-01-01 00:02:00,1100,0,1000,5\n',
    );
    const r = await nilm('eval', '--model', 'baseline:co', '--data', csv, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report.appliances)).toEqual(['kettle']);
    expect(report.unscored).toEqual(['toaster']);
    expect(report.skipped).toEqual(['toaster']);
    expect(report.unmetered).toEqual(['dishwasher', 'microwave', 'washing_machine']);
    expect(r.stderr).toBe(
      `warning: ${csv}: columns outside the appliance vocabulary left out: HiFi\n`,
    );
    expect(JSON.stringify(report)).not.toContain('HiFi');
  });

  it('eval --model default scores the shipped transformer on the committed excerpt', async () => {
    const r = await nilm('eval', '--model', 'default', '--data', EXCERPT, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.model).toBe('default');
    expect(report.samples).toBe(20160);
    expect(Object.keys(report.appliances).sort()).toEqual([
      'dishwasher',
      'kettle',
      'microwave',
      'washing_machine',
    ]);
    // The shipped model never saw House 20; it must clear the CO baseline on every appliance.
    const co = JSON.parse(
      (await nilm('eval', '--model', 'baseline:co', '--data', EXCERPT, '--json')).stdout,
    );
    for (const a of Object.keys(report.appliances)) {
      expect(report.appliances[a].f1).toBeGreaterThan(co.appliances[a].f1);
      expect(report.appliances[a].mae_w).toBeLessThan(co.appliances[a].mae_w);
      expect(report.appliances[a].band_coverage).toBeGreaterThan(0.5);
    }
  });

  it('eval prints a readable table and trains a baseline with --train', async () => {
    const r = await nilm('eval', '--model', 'baseline:mean', '--train', EXCERPT, '--data', EXCERPT);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/model baseline:mean, period 60 s, 20160 samples scored/);
    expect(r.stdout).toMatch(/^kettle\s+\d+\.\d/m);
    expect(r.stdout).toMatch(/^mean\s+/m);
    expect(r.stdout).toMatch(/^whole house: mains \d+\.\d kWh, explained \d+\.\d kWh \(\d+\.\d %/m);
  });

  it('data inspect summarises span, gaps and appliances', async () => {
    const r = await nilm('data', 'inspect', EXCERPT, '--json');
    expect(r.code).toBe(0);
    const [s] = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      start: '2014-09-03T00:00:00.000Z',
      end: '2014-09-16T23:59:00.000Z',
      period_s: 60,
      samples: 20160,
      missing: 0,
      gaps: 0,
    });
    expect(s.appliances.kettle.on_fraction).toBeGreaterThan(0);
    expect(s.appliances.kettle.energy_kwh).toBeCloseTo(5.3225, 3);
  });

  it('reads generic CSV through --csv-columns, and refuses a bad mapping', async () => {
    const csv = join(tmp, 'meter.csv');
    writeFileSync(csv, 'ts;kw;k\n0;0.5;0\n60;0.7;0.2\n120;0.9;0.4\n');
    const r = await nilm(
      'data',
      'inspect',
      csv,
      '--json',
      '--csv-columns',
      'time=ts,mains=kw,k=kettle',
      '--csv-time',
      'unix_s',
      '--csv-scale',
      '1000',
      '--csv-delimiter',
      ';',
    );
    expect(r.code).toBe(0);
    const [s] = JSON.parse(r.stdout);
    expect(s).toMatchObject({ period_s: 60, samples: 3, start: '1970-01-01T00:00:00.000Z' });
    expect(s.mains.mean_w).toBeCloseTo(700, 3);
    expect(s.appliances.kettle.max_w).toBeCloseTo(400, 3);
    const bad = await nilm('data', 'inspect', csv, '--csv-columns', 'time=ts');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--csv-columns needs time=<column> and mains=<column>/);
  });

  it('fit writes a model directory that eval can load', async () => {
    const out = join(tmp, 'co');
    expect(
      (
        await nilm(
          'fit',
          '--model',
          'baseline:co',
          '--train',
          EXCERPT,
          '--out',
          out,
          '--appliances',
          'kettle,Microwave',
        )
      ).code,
    ).toBe(0);
    const r = await nilm('eval', '--model', out, '--data', EXCERPT, '--json');
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report.appliances).sort()).toEqual(['kettle', 'microwave']);
    expect(report.unscored).toEqual(['dishwasher', 'washing_machine']);
    expect(report.skipped).toEqual(['dishwasher', 'washing_machine']);
  });

  it('eval --postprocess scores a transformer with another rule than its card, and refuses a bad one', async () => {
    const model = 'nilm-transformer@2026.12.04';
    const run = async (...extra: string[]) =>
      JSON.parse(
        (await nilm('eval', '--model', model, '--data', EXCERPT, '--json', ...extra)).stdout,
      );
    const asCard = await run();
    const none = await run('--postprocess', 'none');
    // Without post-processing the dishwasher's cycles come in fragments: more predicted runs.
    expect(none.appliances.dishwasher.runs_pred).toBeGreaterThan(
      asCard.appliances.dishwasher.runs_pred,
    );
    const bad = await nilm('eval', '--model', model, '--data', EXCERPT, '--postprocess', 'runs-v9');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--postprocess must be one of none, runs-v1, runs-v2, runs-v3, got "runs-v9"',
    );
    const co = await nilm(
      'eval',
      '--model',
      'baseline:co',
      '--data',
      EXCERPT,
      '--postprocess',
      'none',
    );
    expect(co.code).toBe(2);
    expect(co.stderr).toContain('--postprocess applies to a transformer; baseline:co is not one');
  }, 300_000);

  it('stops on bad input with the file, the line and exit code 2', async () => {
    const bad = join(tmp, 'bad.csv');
    writeFileSync(
      bad,
      'Time,Aggregate,Kettle\n2020-01-01 00:00:00,100,0\n2020-01-01 00:01:00,oops,0\n',
    );
    const r = await nilm('eval', '--model', 'baseline:co', '--data', bad, '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `error [DATA_MALFORMED]: ${bad}:3: value "oops" in column "Aggregate" is not a number`,
    );
    const spec = await nilm('eval', '--model', 'nonsense', '--data', EXCERPT);
    expect(spec.code).toBe(2);
    expect(spec.stderr).toMatch(/error \[MODEL_SPEC_INVALID\]/);
    const missing = await nilm('eval', '--data', EXCERPT);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '-m, --model <spec>' not specified/);
  });

  it('stops with exit code 2 and the variable named when NILM_MODELS_DIR is no directory', async () => {
    const gone = join(tmp, 'no-such-models');
    const r = await nilmWith({ ...process.env, NILM_MODELS_DIR: gone }, 'models', 'list');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      `error [CONFIG_INVALID]: NILM_MODELS_DIR=${gone}: no such directory; point it at a model registry (a directory with registry.json, such as the repository's models/) or unset it`,
    );
  });
});
