// Proves the registry (add, list, activate, refusals), tamper detection by sha256, and the
// inference engine: lazy loading, coalesced batches equal to single runs, and hot reload.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NilmError } from '../errors.js';
import { writeRandomModel } from '../transformer/model.fixture.js';
import { TransformerModel } from '../transformer/transformer.disaggregator.js';
import { resolveModel } from '../models/model.spec.js';
import { InferenceEngine } from './inference.engine.js';
import { ModelRegistry } from './model.registry.js';

const tmp = mkdtempSync(join(tmpdir(), 'nilm-reg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ModelRegistry', () => {
  it('adds versions, activates one, and resolves default and id@version', async () => {
    const modelsDir = join(tmp, 'models');
    await writeRandomModel(join(tmp, 'src1'), { version: '1', seed: 1 });
    await writeRandomModel(join(tmp, 'src2'), { version: '2', seed: 2 });
    const reg = await ModelRegistry.open(modelsDir);
    expect(reg.list()).toEqual([]);
    expect((await reg.add(join(tmp, 'src1'))).active).toBe(true); // the first becomes active
    expect((await reg.add(join(tmp, 'src2'))).active).toBe(false);
    expect(reg.list().map((e) => e.ref)).toEqual(['tiny@1', 'tiny@2']);
    await reg.activate('tiny@2');
    const reopened = await ModelRegistry.open(modelsDir);
    expect(reopened.active()!.ref).toBe('tiny@2');
    expect(reopened.find('tiny').ref).toBe('tiny@2');
    const def = await resolveModel('default', { modelsDir });
    expect((def as TransformerModel).card.version).toBe('2');
    const v1 = await resolveModel('tiny@1', { modelsDir });
    expect((v1 as TransformerModel).card.version).toBe('1');
    await (def as TransformerModel).release();
    await (v1 as TransformerModel).release();
  });

  it('refuses duplicates, unknown refs and a broken registry file', async () => {
    const modelsDir = join(tmp, 'models2');
    await writeRandomModel(join(tmp, 'src3'));
    const reg = await ModelRegistry.open(modelsDir);
    await reg.add(join(tmp, 'src3'));
    await expect(reg.add(join(tmp, 'src3'))).rejects.toThrow(/tiny@1 is already registered/);
    expect(() => reg.find('nope@1')).toThrow(
      /no model "nope@1" in the registry; registered: tiny@1/,
    );
    writeFileSync(join(modelsDir, 'registry.json'), '{"format": "other"}');
    await expect(ModelRegistry.open(modelsDir)).rejects.toThrow(/registry.json: format/);
  });

  it('refuses a model whose weights were changed after its card was written', async () => {
    const dir = join(tmp, 'tampered');
    await writeRandomModel(dir);
    const bytes = readFileSync(join(dir, 'model.onnx'));
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(join(dir, 'model.onnx'), bytes);
    const err = await TransformerModel.load(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NilmError);
    expect((err as NilmError).code).toBe('MODEL_FILE_INVALID');
    expect((err as NilmError).message).toMatch(/does not match its card: sha256/);
    await expect((await ModelRegistry.open(join(tmp, 'models3'))).add(dir)).rejects.toThrow(
      /does not match its card/,
    );
  });

  it('refuses a card that does not follow the schema', async () => {
    const dir = join(tmp, 'badcard');
    await writeRandomModel(dir);
    const card = JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8'));
    delete card.period_s;
    writeFileSync(join(dir, 'card.json'), JSON.stringify(card));
    await expect(TransformerModel.load(dir)).rejects.toThrow(/card.json: period_s/);
  });
});

describe('InferenceEngine', () => {
  it('loads lazily, coalesces concurrent requests into batches with the same results, and hot-reloads', async () => {
    const modelsDir = join(tmp, 'engine');
    await writeRandomModel(join(tmp, 'e1'), { version: '1', seed: 3 });
    const reg = await ModelRegistry.open(modelsDir);
    await reg.add(join(tmp, 'e1'));
    const engine = new InferenceEngine(reg, { batch: 8 });
    expect(engine.loadedRefs).toEqual([]);
    const windows = Array.from({ length: 5 }, (_, k) =>
      Float32Array.from({ length: 32 }, (_, i) => 200 + ((i * (k + 3)) % 7) * 300),
    );
    const single: Array<{ power: Float32Array }> = [];
    for (const w of windows) single.push(await engine.infer(w, 1));
    expect(engine.loadedRefs).toEqual(['tiny@1']);
    const together = await Promise.all(windows.map((w) => engine.infer(w, 1)));
    together.forEach((r, k) => {
      expect(r.power.length).toBe(2 * 32);
      for (let i = 0; i < r.power.length; i++)
        expect(r.power[i]).toBeCloseTo(single[k]!.power[i]!, 3);
    });
    // A new version activated by another process: reload keeps the unchanged session.
    await writeRandomModel(join(tmp, 'e2'), { version: '2', seed: 4 });
    await (await ModelRegistry.open(modelsDir)).add(join(tmp, 'e2'), { activate: true });
    expect(await engine.reload()).toEqual({ models: 2, dropped: [] });
    const r2 = await engine.infer(windows[0]!, 1);
    expect(r2.model.card.version).toBe('2');
    // Weights replaced on disk under the same version: the stale session is dropped.
    await writeRandomModel(join(modelsDir, 'tiny', '1'), { version: '1', seed: 9 });
    expect((await engine.reload()).dropped).toEqual(['tiny@1']);
    await engine.close();
  });
});

describe('InferenceEngine with building-pinned models', () => {
  it('serves a `+` ref from the pinned source, verified, cached, and untouched by a reload', async () => {
    const modelsDir = join(tmp, 'models-pinned');
    await writeRandomModel(join(tmp, 'pin-base'), { version: '1', seed: 3 });
    const card = await writeRandomModel(join(tmp, 'pin'), {
      id: 'tiny+home',
      version: '1',
      seed: 4,
    });
    const bytes = new Uint8Array(readFileSync(join(tmp, 'pin', 'model.onnx')));
    const reg = await ModelRegistry.open(modelsDir);
    await reg.add(join(tmp, 'pin-base'));
    const engine = new InferenceEngine(reg);
    await expect(engine.model('tiny+home@1')).rejects.toThrow(
      /no model "tiny\+home@1": never made/,
    );
    let loads = 0;
    engine.usePinnedModels({
      load: async (ref) => {
        loads++;
        if (ref === 'tiny+home@1') return { card, bytes };
        if (ref === 'tiny+home@2') return { card, bytes: bytes.slice(0, bytes.length - 1) };
        return undefined;
      },
    });
    const m = await engine.model('tiny+home@1');
    expect(m.card.id).toBe('tiny+home');
    expect(await engine.model('tiny+home@1')).toBe(m);
    expect(loads).toBe(1);
    await engine.reload();
    expect(engine.loadedRefs).toContain('tiny+home@1');
    await expect(engine.model('tiny+home@2')).rejects.toThrow(/do not match its card's sha256/);
    await expect(engine.model('tiny+home@3')).rejects.toMatchObject({ code: 'MODEL_SPEC_INVALID' });
    expect((await engine.model()).card.id).toBe('tiny');
    await engine.close();
  });
});
