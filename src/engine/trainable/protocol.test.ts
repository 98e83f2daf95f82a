import { describe, expect, it } from 'vitest';
import { encodeRequest, parseLine } from './protocol.js';

describe('trainable protocol lines', () => {
  it('a line without the @pbt prefix is a log line, whatever it contains', () => {
    expect(parseLine('{"id": 1, "ok": true}')).toEqual({
      kind: 'log',
      text: '{"id": 1, "ok": true}',
    });
    expect(parseLine('epoch 3 loss 0.2')).toMatchObject({ kind: 'log' });
  });

  it('reads answers, with non-finite metrics sent as strings or null', () => {
    expect(
      parseLine('@pbt {"v":1,"id":4,"ok":true,"metrics":{"score":0.5,"loss":"NaN","x":null}}'),
    ).toMatchObject({
      kind: 'response',
      response: { id: 4, ok: true, metrics: { score: 0.5, loss: Number.NaN, x: Number.NaN } },
    });
    expect(parseLine('@pbt {"v":1,"id":4,"ok":false,"error":"CUDA out of memory"}')).toEqual({
      kind: 'response',
      response: { v: 1, id: 4, ok: false, error: 'CUDA out of memory' },
    });
  });

  it('says what is wrong with a malformed protocol line', () => {
    expect(parseLine('@pbt {"v":1,"id":oops}')).toMatchObject({
      kind: 'malformed',
      problem: expect.stringMatching(/^not valid JSON/) as unknown,
    });
    expect(parseLine('@pbt {"v":2,"id":1,"ok":true}')).toMatchObject({
      kind: 'malformed',
      problem: expect.stringMatching(/v: the protocol version must be 1/) as unknown,
    });
    expect(parseLine('@pbt {"v":1,"id":1,"ok":true,"metrics":{"score":"high"}}')).toMatchObject({
      kind: 'malformed',
      problem: expect.stringMatching(/metrics\.score/) as unknown,
    });
  });

  it('requests are one versioned, numbered JSON object per line', () => {
    const line = encodeRequest(7, {
      op: 'train',
      steps: 50,
      hparams: { lr: 0.1 },
      member: 2,
      step: 100,
    });
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({
      v: 1,
      id: 7,
      op: 'train',
      steps: 50,
      hparams: { lr: 0.1 },
      member: 2,
      step: 100,
    });
  });
});
