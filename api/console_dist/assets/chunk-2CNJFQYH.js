import{G as a}from"./chunk-VL4RADU6.js";import"./chunk-5BEVYMCJ.js";export{a as BpmnModdle};
