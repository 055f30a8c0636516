import { describe, expect, it } from 'vitest';
import { availableCores, intraOpThreads } from './cpu.threads.js';

const quota = (text: string) => () => text;
const none = () => {
  throw new Error('ENOENT');
};

describe('availableCores', () => {
  it('is the CPU set when the cgroup has no quota or no cpu.max', () => {
    expect(availableCores(quota('max 100000\n'), 8)).toBe(8);
    expect(availableCores(none, 8)).toBe(8);
  });

  it('is capped by a cgroup quota (2.5 CPUs -> 2), and never below 1', () => {
    expect(availableCores(quota('250000 100000\n'), 16)).toBe(2);
    expect(availableCores(quota('50000 100000\n'), 16)).toBe(1);
    expect(availableCores(quota('garbage'), 4)).toBe(4);
  });
});

describe('intraOpThreads', () => {
  it('is 1 in the all-in-one process and the API, whatever the cores', () => {
    expect(intraOpThreads('all', 2, 16)).toBe(1);
    expect(intraOpThreads('api', 1, 16)).toBe(1);
  });

  it('gives a worker the cores its concurrent jobs leave after one for the event loop', () => {
    expect(intraOpThreads('worker', 2, 2)).toBe(1);
    expect(intraOpThreads('worker', 2, 5)).toBe(2);
    expect(intraOpThreads('worker', 1, 16)).toBe(4);
    expect(intraOpThreads('worker', 8, 4)).toBe(1);
  });
});
