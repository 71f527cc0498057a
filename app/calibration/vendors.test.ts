import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFei, parseHitachi, parseImageJ, parseJeol, parseTescan, parseZeiss, tescanText } from './vendors';
import { lengthToUm, parseTypedLength, umPerPxFromScaleBar } from './units';

const close = (a: number | undefined, b: number, what: string) => assert.ok(a !== undefined && Math.abs(a - b) <= 1e-9 * Math.abs(b), `${what}: ${a} vs ${b}`);

test('FEI/Thermo Fisher INI: [Scan] PixelWidth in metres; [EScan] when [Scan] lacks it', () => {
  const text = '[User]\r\nDate=12/01/2021\r\n\r\n[Beam]\r\nHV=5000\r\n\r\n[Scan]\r\nInternalScan=1\r\nDwelltime=1e-005\r\nPixelWidth=1.5625e-008\r\nPixelHeight=1.5625e-008\r\n';
  const r = parseFei(text, 34682)!;
  close(r.umPerPx, 0.015625, 'um/px');
  assert.equal(r.vendor, 'FEI/Thermo Fisher');
  assert.match(r.where, /34682 \(FEI_HELIOS\) \[Scan\] PixelWidth/);
  assert.equal(r.umPerPxY, undefined);
  close(parseFei('[EScan]\nPixelWidth=2.5e-9\nPixelHeight=5e-9\n', 34680)!.umPerPxY, 0.005, 'height');
  assert.equal(parseFei('[Scan]\nPixelWidth=0\n', 34682), null, 'zero is no calibration');
  assert.equal(parseFei('[Scan]\nDwelltime=1e-5\n', 34682), null);
});

test('Zeiss SmartSEM CZ_SEM: "Image Pixel Size = 2.345 nm", µ in Latin-1, V05 "Pixel Size"', () => {
  const text = '\r\n0\r\n0\r\nAP_IMAGE_PIXEL_SIZE\r\nImage Pixel Size = 2.345 nm\r\nAP_WD\r\nWD = 8.5 mm\r\nAP_DATE\r\nDate :24 Mar 2017\r\n';
  const r = parseZeiss(text)!;
  close(r.umPerPx, 0.002345, 'nm');
  assert.match(r.where, /34118 \(CZ_SEM\) "Image Pixel Size"/);
  close(parseZeiss('AP_IMAGE_PIXEL_SIZE\r\nImage Pixel Size = 1.171 \u00b5m\r\n')!.umPerPx, 1.171, 'µm Latin-1');
  close(parseZeiss('AP_PIXEL_SIZE\r\nPixel Size = 558.1 pm\r\n')!.umPerPx, 0.0005581, 'pm');
  assert.equal(parseZeiss('AP_MAG\r\nMag = 10.00 K X\r\n'), null);
});

test('TESCAN: the MAIN block of tag 50431 (size/type blocks) or plain text; metres', () => {
  const main = 'AccFrames=4\r\nDevice=MIRA3\r\nMagnification=5000\r\nPixelSizeX=2.0e-008\r\nPixelSizeY=2.0e-008\r\n';
  const enc = (type: number, body: string) => {
    const b = new Uint8Array(6 + body.length);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, body.length + 2, true);
    dv.setUint16(4, type, true);
    for (let i = 0; i < body.length; i++) b[6 + i] = body.charCodeAt(i);
    return b;
  };
  const thumb = enc(1, '\xff\xd8\xff\xe0JPEGDATA');
  const blk = enc(2, main);
  const last = enc(0, '');
  const all = new Uint8Array(thumb.length + blk.length + last.length);
  all.set(thumb);
  all.set(blk, thumb.length);
  all.set(last, thumb.length + blk.length);
  const r = parseTescan(tescanText(all, true), 'TIFF tag 50431 (TESCAN)')!;
  close(r.umPerPx, 0.02, 'um/px');
  assert.equal(r.vendor, 'TESCAN');
  close(parseTescan('[MAIN]\r\nPixelSizeX=1e-7\r\n', 'x.hdr')!.umPerPx, 0.1, 'hdr');
});

test('JEOL sidecar: marker / bar, scaled when the saved image is narrower than $CM_FULL_SIZE; Hitachi PixelSize nm', () => {
  const txt = '$CM_FORMAT JEOL/SEM\r\n$CM_MAG 5000\r\n$CM_FULL_SIZE 1280 960\r\n$$SM_MICRON_BAR 160\r\n$$SM_MICRON_MARKER 5um\r\n';
  close(parseJeol(txt, 'a.txt', 1280)!.umPerPx, 5 / 160, 'full size');
  close(parseJeol(txt, 'a.txt', 640)!.umPerPx, (2 * 5) / 160, 'half size');
  close(parseJeol('$$SM_MICRON_BAR 213\n$$SM_MICRON_MARKER 1\u00b5m\n', 'b.txt', 0)!.umPerPx, 1 / 213, 'µm');
  close(parseJeol('$$SM_MICRON_BAR 100\n$$SM_MICRON_MARKER 500nm\n', 'b.txt', 0)!.umPerPx, 0.005, 'nm');
  assert.equal(parseJeol('$CM_MAG 100\n', 'c.txt', 0), null);
  close(parseHitachi('[SemImageFile]\r\nInstructName=SU8230\r\nPixelSize=24.8\r\n', 'h.txt')!.umPerPx, 0.0248, 'hitachi');
});

test('ImageJ description: unit=micron with XResolution in pixels per unit', () => {
  close(parseImageJ('ImageJ=1.53t\nunit=micron\n', 4)!.umPerPx, 0.25, 'micron');
  close(parseImageJ('ImageJ=1.53t\nunit=nm\n', 2)!.umPerPx, 0.0005, 'nm');
  close(parseImageJ('ImageJ=1.54f\nunit=\\u00B5m\n', 10)!.umPerPx, 0.1, 'escaped µm');
  assert.equal(parseImageJ('ImageJ=1.53t\nunit=pixel\n', 1), null);
  assert.equal(parseImageJ('something else\nunit=micron\n', 4), null);
});

test('lengths and scale bars', () => {
  close(lengthToUm('2.5 nm', 'um')!, 0.0025, 'nm');
  close(lengthToUm('3', 'mm')!, 3000, 'default unit');
  close(parseTypedLength('250nm'), 0.25, 'typed');
  close(parseTypedLength('1.2 µm'), 1.2, 'typed µ');
  assert.throws(() => parseTypedLength('big'), /not a length/);
  assert.throws(() => parseTypedLength('2 parsecs'), /not a length/);
  close(umPerPxFromScaleBar(10, 10, 110, 10, 50), 0.5, 'bar');
  close(umPerPxFromScaleBar(0, 0, 30, 40, 10), 0.2, 'diagonal bar');
  assert.throws(() => umPerPxFromScaleBar(5, 5, 5, 5, 10), /no length/);
});
