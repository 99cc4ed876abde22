import{gb as a}from"./chunk-AOIKHIB7.js";import"./chunk-VL4RADU6.js";import"./chunk-5BEVYMCJ.js";export{a as default};
