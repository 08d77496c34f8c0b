/** SVG files are bundled as their text (build.mjs: loader ".svg": "text"). */
declare module "*.svg" {
  const markup: string;
  export default markup;
}
